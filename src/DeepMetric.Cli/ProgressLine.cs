using System.Diagnostics;
using System.Globalization;

namespace DeepMetric.Cli;

/// <summary>
/// Renders the progress of a long step (rows indexed, items embedded...) reported by the library through
/// <see cref="IProgress{T}"/>: on a terminal one live line on standard error, rewritten in place; when standard error
/// is redirected (a log file, CI), a plain line every <see cref="CliContext.ProgressInterval"/>, so a log shows the
/// step is alive without filling up. Steps shorter than the interval print nothing when redirected.
/// </summary>
internal sealed class ProgressLine : IProgress<long>, IDisposable
{
    private readonly TextWriter _error;
    private readonly string _label;
    private readonly long _total;
    private readonly bool _live;
    private readonly TimeSpan _interval;
    private readonly long _start = Stopwatch.GetTimestamp();
    private long _last;
    private bool _drawn;

    private ProgressLine(TextWriter error, string label, long total, bool live, TimeSpan interval)
    {
        _error = error;
        _label = label;
        _total = Math.Max(total, 1);
        _live = live;
        _interval = live ? TimeSpan.FromMilliseconds(200) : interval;
        _last = _start;
    }

    /// <summary>A progress line for <paramref name="label"/> over <paramref name="total"/> units, on the context's standard error.</summary>
    public static ProgressLine Start(CliContext context, string label, long total) =>
        new(context.Error, label, total, IsLiveTerminal(context.Error), context.ProgressInterval);

    /// <summary>Whether <paramref name="writer"/> is the process's standard error and that is a terminal.</summary>
    public static bool IsLiveTerminal(TextWriter writer) => ReferenceEquals(writer, Console.Error) && !Console.IsErrorRedirected;

    /// <inheritdoc/>
    public void Report(long value)
    {
        long now = Stopwatch.GetTimestamp();
        if (Stopwatch.GetElapsedTime(_last, now) < _interval && value < _total)
        {
            return;
        }
        _last = now;
        double seconds = Stopwatch.GetElapsedTime(_start, now).TotalSeconds;
        string text = string.Create(CultureInfo.InvariantCulture,
            $"{_label}: {value:N0}/{_total:N0} ({100.0 * value / _total:F0}%), {seconds:F0} s");
        if (_live)
        {
            _error.Write("\r" + text + "\u001b[K");
            _drawn = true;
        }
        else if (value < _total || seconds >= _interval.TotalSeconds)
        {
            // Redirected: no line at all for a step that finished within one interval.
            _error.WriteLine(text);
        }
    }

    /// <summary>Clears the live line.</summary>
    public void Dispose()
    {
        if (_drawn)
        {
            _error.Write("\r\u001b[K");
        }
    }
}
