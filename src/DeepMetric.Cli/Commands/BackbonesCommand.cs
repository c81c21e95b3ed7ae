using System.CommandLine;
using System.Globalization;
using DeepMetric.Onnx.Backbones;

namespace DeepMetric.Cli.Commands;

/// <summary><c>deepmetric backbones</c>: lists the pretrained backbones usable with <c>train --backbone NAME</c>.</summary>
internal static class BackbonesCommand
{
    internal static Command Create(CliContext context)
    {
        var command = new Command("backbones", "List the pretrained backbones usable with 'deepmetric train --backbone NAME' (or pass --backbone FILE.onnx).");
        command.SetAction(_ =>
        {
            var output = context.Output;
            foreach (var b in BuiltInBackbones.All)
            {
                string? path = BuiltInBackbones.Locate(b);
                output.WriteLine(b.Name);
                output.WriteLine($"  what:        {b.Summary}");
                output.WriteLine($"  input:       {Describe(b.Convention)}; grey images are repeated to 3 channels and every image is resized by the pipeline");
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  input sizes: {b.InputSizes} (--backbone-input-size, default {b.DefaultInputSize})"));
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  output:      {b.OutputDimension}-d pooled features"));
                output.WriteLine($"  licence:     {b.Licence}");
                output.WriteLine($"  source:      {b.Source}");
                output.WriteLine(path is null
                    ? $"  file:        not found (searched {string.Join(", ", BuiltInBackbones.SearchFolders(b))})"
                    : $"  file:        {path}");
            }
            output.WriteLine("--backbone FILE.onnx: any image backbone taking [N, 3, H, W] ImageNet-normalised RGB (torchvision/timm convention).");
            return CliApp.Success;
        });
        return command;
    }

    internal static string Describe(BackboneInputConvention convention) => convention switch
    {
        BackboneInputConvention.Bgr255MinusMeanImage => "BGR, 0-255, minus the ImageNet mean image of the package's ResNetPreprocess.onnx (resized to the input size)",
        _ => "RGB in [0, 1] minus ImageNet mean (0.485, 0.456, 0.406) over std (0.229, 0.224, 0.225)",
    };
}
