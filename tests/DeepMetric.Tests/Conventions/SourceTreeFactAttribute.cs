namespace DeepMetric.Tests.Conventions;

/// <summary>A fact that reads the source tree; skipped, with the reason, when the tests run outside a checkout.</summary>
public sealed class SourceTreeFactAttribute : FactAttribute
{
    public SourceTreeFactAttribute()
    {
        if (SourceTree.Root is null)
        {
            Skip = "No DeepMetric.slnx above the test binaries: the tests are not running from a source checkout.";
        }
    }
}
