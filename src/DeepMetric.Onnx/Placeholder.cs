namespace DeepMetric.Onnx;
