namespace DeepMetric.Training;

/// <summary>
/// Writes a trainer's run directory as a callback (see <see cref="Trainer.RunDirectory"/>): after every epoch the
/// last checkpoint, the best checkpoint when validation improved and the metrics history; at the end of training the
/// final weights and the best weights. File names come from <see cref="DeepMetric.Training.RunDirectory"/>; every file is
/// written atomically.
/// </summary>
internal sealed class RunDirectoryWriter : ITrainerCallbacks
{
    private readonly string _directory;

    /// <summary>Creates <paramref name="directory"/> if needed.</summary>
    public RunDirectoryWriter(string directory)
    {
        Directory.CreateDirectory(directory);
        _directory = directory;
    }

    public void OnEpochEnd(Trainer trainer, EpochResult result)
    {
        var checkpoint = trainer.CreateCheckpoint();
        checkpoint.Save(PathOf(DeepMetric.Training.RunDirectory.LastCheckpointFile));
        if (result.IsBest)
        {
            checkpoint.Save(PathOf(DeepMetric.Training.RunDirectory.BestCheckpointFile));
        }
        // Rewritten whole from the history (which the checkpoint also holds), so it always matches the last checkpoint.
        DeepMetric.Training.RunDirectory.WriteMetricsHistory(_directory, trainer.History);
    }

    public void OnTrainingEnd(Trainer trainer)
    {
        trainer.Model.Save(PathOf(DeepMetric.Training.RunDirectory.FinalWeightsFile));
        if (trainer.BestModelState is { } best)
        {
            Tensors.IO.Safetensors.Save(PathOf(DeepMetric.Training.RunDirectory.BestWeightsFile), best);
        }
    }

    private string PathOf(string name) => Path.Combine(_directory, name);
}
