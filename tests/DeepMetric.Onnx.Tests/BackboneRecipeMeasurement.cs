using System.Globalization;
using DeepMetric.Data;
using DeepMetric.Evaluation;
using DeepMetric.Onnx.Backbones;
using DeepMetric.Onnx.Import;
using DeepMetric.Onnx.Proto;
using DeepMetric.Onnx.Tests.TestUtil;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Nn;
using DeepMetric.Training;
using Google.Protobuf;

namespace DeepMetric.Onnx.Tests;

/// <summary>
/// A measurement, not a check (skipped unless DEEPMETRIC_BACKBONE_RECIPE=file.tsv): the frozen ResNet-18's read-outs
/// (last stage or last two, average or GeM, with or without the mirrored image) on Fashion-MNIST's held-out
/// <em>training</em> classes (the validation split <c>train --backbone</c> uses) and on the unseen test classes, from
/// one forward pass per image and view. DEEPMETRIC_BACKBONE_RECIPE_DATA picks the IDX folder (default the shipped
/// subset), DEEPMETRIC_BACKBONE_RECIPE_TEST caps the test images.
/// </summary>
public sealed class BackboneRecipeMeasurement
{
    [MeasurementFact("DEEPMETRIC_BACKBONE_RECIPE")]
    public void Frozen_readouts_on_validation_and_unseen_classes()
    {
        string? output = Environment.GetEnvironmentVariable("DEEPMETRIC_BACKBONE_RECIPE");
        string dir = Environment.GetEnvironmentVariable("DEEPMETRIC_BACKBONE_RECIPE_DATA") is { Length: > 0 } d ? d
            : Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "data", "fashion-mnist-subset");
        int testCap = int.TryParse(Environment.GetEnvironmentVariable("DEEPMETRIC_BACKBONE_RECIPE_TEST"), out int cap) ? cap : int.MaxValue;
        int validationCap = int.TryParse(Environment.GetEnvironmentVariable("DEEPMETRIC_BACKBONE_RECIPE_VALIDATION"), out int vcap) ? vcap : int.MaxValue;
        bool mirrors = Environment.GetEnvironmentVariable("DEEPMETRIC_BACKBONE_RECIPE_FLIP") != "0";
        var split = FashionMnist.Load(dir).OpenSetSplit();
        var (_, validation) = ValidationSplit.Split(split.Train, 0.4, 0, ValidationHoldout.Classes);
        if (validation.Count > validationCap)
        {
            // Every k-th image, so both held-out classes keep their share.
            validation = validation.Subset([.. Enumerable.Range(0, validationCap).Select(i => (int)((long)i * validation.Count / validationCap))]);
        }
        IDataset test = split.Test;
        if (test.Count > testCap)
        {
            test = test.Subset([.. Enumerable.Range(0, testCap)]);
        }

        // ResNet18.onnx with a global final pool and one output: [avg s3 | avg s4 | gem s3 | gem s4], unnormalised.
        string graphPath = ResNetFiles.ResNet18!;
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(graphPath));
        var nodes = model.Graph.Node;
        int poolAt = nodes.Select((n, i) => (n, i)).Last(t => t.n.OpType == "AveragePool").i;
        nodes[poolAt].OpType = "GlobalAveragePool";
        nodes[poolAt].Attribute.Clear();
        string s4 = nodes[poolAt].Input[0];
        string s3 = nodes.Take(poolAt).Last(n => n.OpType == "Conv" && n.Attribute.Any(a => a.Name == "strides" && a.Ints.Any(s => s > 1))).Input[0];
        int k = 0;
        string Add(string op, params string[] inputs)
        {
            var n = new NodeProto { OpType = op, Name = $"m{k}" };
            n.Input.AddRange(inputs);
            n.Output.Add($"m{k++}");
            nodes.Add(n);
            return n.Output[0];
        }
        string Const(float v)
        {
            var t = new TensorProto { Name = $"c{k++}", DataType = (int)TensorProto.Types.DataType.Float };
            t.FloatData.Add(v);
            model.Graph.Initializer.Add(t);
            return t.Name;
        }
        string Gem(string x)
        {
            var clip = Add("Clip", x);
            nodes[^1].Attribute.Add(new AttributeProto { Name = "min", Type = AttributeProto.Types.AttributeType.Float, F = 1e-6f });
            return Add("Pow", Add("GlobalAveragePool", Add("Pow", clip, Const(3f))), Const(1f / 3));
        }
        var all = Add("Concat", Add("GlobalAveragePool", s3), nodes[poolAt].Output[0], Gem(s3), Gem(s4));
        nodes[^1].Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
        model.Graph.Output.Clear();
        model.Graph.Output.Add(new ValueInfoProto { Name = all });
        var graph = OnnxGraphLoader.Load(model.ToByteArray(), graphPath);
        var preprocess = BackbonePreprocess.FromMeanImageGraph(128, OnnxModule.FromFile(ResNetFiles.Preprocess!));
        var trunk = new Sequential(preprocess, graph, new Flatten());
        trunk.Eval();

        float[] Extract(IDataset data, bool mirror)
        {
            var f = new float[data.Count * 1536];
            using var _ = Tensor.NoGrad();
            for (int start = 0; start < data.Count; start += 32)
            {
                int count = Math.Min(32, data.Count - start);
                var x = data.Batch([.. Enumerable.Range(start, count)]);
                if (mirror)
                {
                    var px = x.ToArray();
                    int w = x.Dim(3);
                    for (int r = 0; r < px.Length / w; r++)
                    {
                        Array.Reverse(px, r * w, w);
                    }
                    x = Tensor.FromArray(px, x.Shape);
                }
                trunk.Forward(x).ReadOnlySpan.CopyTo(f.AsSpan(start * 1536, count * 1536));
            }
            return f;
        }
        var lines = new List<string> { $"# {dir}: validation {validation.Count} images (held-out training classes), test {test.Count} images of unseen classes, 128 px" };
        var t0 = System.Diagnostics.Stopwatch.GetTimestamp();
        var sets = new[] { ("validation", validation), ("test", test) }.Select(s => (s.Item1, s.Item2, Plain: Extract(s.Item2, false), Mirror: mirrors ? Extract(s.Item2, true) : null)).ToList();
        lines.Add(FormattableString.Invariant($"# extraction {System.Diagnostics.Stopwatch.GetElapsedTime(t0).TotalSeconds:F0} s ({(mirrors ? "two views" : "one view")})"));
        lines.Add("readout\tval P@1\tval MAP@R\ttest P@1\ttest MAP@R");
        foreach (bool gem in new[] { false, true })
        {
            foreach (int stages in new[] { 1, 2 })
            {
                foreach (bool flip in mirrors ? new[] { false, true } : [false])
                {
                    var row = new List<string> { $"stages={stages},pool={(gem ? "gem" : "avg")}{(flip ? ",flip" : "")}" };
                    foreach (var (name, data, plain, mirror) in sets)
                    {
                        int dim = stages == 1 ? 512 : 768, n = data.Count;
                        var e = new float[n * dim];
                        for (int i = 0; i < n; i++)
                        {
                            for (int view = 0; view < (flip ? 2 : 1); view++)
                            {
                                var src = (view == 0 ? plain : mirror!).AsSpan(i * 1536, 1536);
                                var s3v = src.Slice(gem ? 768 : 0, 256);
                                var s4v = src.Slice(gem ? 1024 : 256, 512);
                                var dst = e.AsSpan(i * dim, dim);
                                if (stages == 1)
                                {
                                    for (int j = 0; j < 512; j++)
                                    {
                                        dst[j] += s4v[j];
                                    }
                                }
                                else
                                {
                                    double n3 = Math.Sqrt(s3v.ToArray().Sum(v => (double)v * v)), n4 = Math.Sqrt(s4v.ToArray().Sum(v => (double)v * v));
                                    for (int j = 0; j < 256; j++)
                                    {
                                        dst[j] += (float)(s3v[j] / n3);
                                    }
                                    for (int j = 0; j < 512; j++)
                                    {
                                        dst[256 + j] += (float)(s4v[j] / n4);
                                    }
                                }
                            }
                            var r = e.AsSpan(i * dim, dim);
                            double norm = Math.Sqrt(r.ToArray().Sum(v => (double)v * v));
                            for (int j = 0; j < dim; j++)
                            {
                                r[j] = (float)(r[j] / norm);
                            }
                        }
                        var m = RetrievalMetrics.Compute(Tensor.Wrap(e, n, dim), data.Labels);
                        row.Add(m.PrecisionAt1.ToString("F4", CultureInfo.InvariantCulture));
                        row.Add(m.MapAtR.ToString("F4", CultureInfo.InvariantCulture));
                    }
                    lines.Add(string.Join('\t', row));
                }
            }
        }
        File.WriteAllLines(output!, lines);
    }
}
