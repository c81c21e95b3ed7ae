using DeepMetric.Reporting;

namespace DeepMetric.Tests.TestUtil;

/// <summary>A fact that is skipped, with the reason, when no Chromium is installed at /usr/bin/chromium.</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        if (HeadlessChromium.FindExecutable() is null)
        {
            Skip = "Chromium is not installed (/usr/bin/chromium missing); install it with `apt-get install -y chromium` to run this test.";
        }
    }
}
