namespace DeepMetric.Calibration;

/// <summary>How a <see cref="CalibratedThreshold"/> was chosen on a <see cref="ThresholdCurve"/>.</summary>
public enum CalibrationMethod
{
    /// <summary><see cref="ThresholdCurve.ForTargetPrecision"/>: the largest threshold whose precision meets the target.</summary>
    TargetPrecision = 0,

    /// <summary><see cref="ThresholdCurve.BestF1"/>: the threshold of highest F1.</summary>
    BestF1 = 1,
}
