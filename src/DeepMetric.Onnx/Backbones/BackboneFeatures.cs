using System.Globalization;

namespace DeepMetric.Onnx.Backbones;

/// <summary>
/// How a backbone's feature vector is read from its graph: the pooled last stage (the graph's own output), optionally
/// concatenated with the pooled stage before it, pooled by average or by generalised mean (GeM, p = 3), and optionally
/// averaged over the image and its horizontal mirror.
/// </summary>
/// <remarks>
/// GeM pooling is Radenović, Tolias and Chum, "Fine-tuning CNN Image Retrieval with No Human Annotation", TPAMI 2018;
/// multi-stage descriptors follow the practice of concatenating L2-normalised pooled maps of several depths (each part
/// normalised so the 512-d last stage does not drown the 256-d one).
/// </remarks>
/// <param name="Stages">1: the last stage only; 2: the last two stages, each pooled and L2-normalised, concatenated.</param>
/// <param name="Gem">Generalised-mean pooling (p = 3) instead of average pooling.</param>
/// <param name="Flip">Average the features of the image and of its horizontal mirror.</param>
public sealed record BackboneFeatures(int Stages = 1, bool Gem = false, bool Flip = false)
{
    /// <summary>The GeM exponent.</summary>
    public const float GemPower = 3f;

    /// <summary>The graph's own output: average-pooled last stage, one view.</summary>
    public static BackboneFeatures Plain { get; } = new();

    /// <summary>Whether the graph is read as it is (the last stage, averaged).</summary>
    public bool IsPlain => Stages == 1 && !Gem;

    /// <summary>A compact text form, e.g. <c>stages=2,pool=gem,flip</c> (also the metadata value).</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"stages={Stages},pool={(Gem ? "gem" : "avg")}{(Flip ? ",flip" : "")}");

    /// <summary>Reads the form <see cref="ToString"/> writes; parts may be given in any order and left out.</summary>
    /// <exception cref="FormatException">An unknown part or value; the message names it.</exception>
    public static BackboneFeatures Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var f = Plain;
        foreach (string raw in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            f = raw switch
            {
                "stages=1" => f with { Stages = 1 },
                "stages=2" => f with { Stages = 2 },
                "pool=avg" => f with { Gem = false },
                "pool=gem" => f with { Gem = true },
                "flip" => f with { Flip = true },
                "noflip" => f with { Flip = false },
                _ => throw new FormatException($"'{raw}' in backbone features '{text}': expected stages=1|2, pool=avg|gem, flip or noflip."),
            };
        }
        return f;
    }
}
