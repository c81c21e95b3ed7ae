namespace DeepMetric.Runs;

/// <summary>One start of training in a run directory: the first run, or a resume (see <see cref="RunConfig.Segments"/>).</summary>
/// <param name="StartEpoch">Epochs completed before this segment started (0 for the first).</param>
/// <param name="Epochs">The total number of epochs this segment was asked to reach.</param>
/// <param name="StartedUtc">When the segment started.</param>
public sealed record RunSegment(int StartEpoch, int Epochs, DateTimeOffset StartedUtc);
