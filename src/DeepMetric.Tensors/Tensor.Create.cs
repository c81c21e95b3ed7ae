using DeepMetric.Tensors.Random;

namespace DeepMetric.Tensors;

public sealed partial class Tensor
{
    /// <summary>A tensor of zeros.</summary>
    public static Tensor Zeros(params int[] shape) => new(new float[ShapeUtil.Product(shape)], (int[])shape.Clone());

    /// <summary>A tensor of ones.</summary>
    public static Tensor Ones(params int[] shape) => Full(1f, shape);

    /// <summary>A tensor filled with <paramref name="value"/>.</summary>
    public static Tensor Full(float value, params int[] shape)
    {
        var data = GC.AllocateUninitializedArray<float>(ShapeUtil.Product(shape));
        data.AsSpan().Fill(value);
        return new Tensor(data, (int[])shape.Clone());
    }

    /// <summary>A zero-dimensional tensor holding <paramref name="value"/>.</summary>
    public static Tensor Scalar(float value) => new([value], []);

    /// <summary>The values start, start+step, … below <paramref name="end"/> (1-D).</summary>
    public static Tensor Arange(float start, float end, float step = 1f)
    {
        if (step == 0 || float.IsNaN(step))
        {
            throw new ArgumentOutOfRangeException(nameof(step), step, "Arange needs a non-zero step.");
        }
        int n = Math.Max(0, (int)Math.Ceiling((end - start) / step));
        var data = new float[n];
        for (int i = 0; i < n; i++)
        {
            data[i] = start + (i * step);
        }
        return new Tensor(data, [n]);
    }

    /// <summary>The integers 0 … n−1 (1-D).</summary>
    public static Tensor Arange(int n) => Arange(0, n);

    /// <summary>Wraps a copy of <paramref name="data"/> with the given shape (1-D when no shape is given).</summary>
    public static Tensor FromArray(float[] data, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        int[] dims = shape.Length == 0 ? [data.Length] : (int[])shape.Clone();
        if (ShapeUtil.Product(dims) != data.Length)
        {
            throw new ArgumentException($"Shape {ShapeUtil.Format(dims)} needs {ShapeUtil.Product(dims)} elements but the array has {data.Length}.", nameof(shape));
        }
        return new Tensor((float[])data.Clone(), dims);
    }

    /// <summary>A 2-D tensor from a rectangular array.</summary>
    public static Tensor FromArray(float[,] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        int r = data.GetLength(0), c = data.GetLength(1);
        var flat = new float[r * c];
        for (int i = 0; i < r; i++)
        {
            for (int j = 0; j < c; j++)
            {
                flat[(i * c) + j] = data[i, j];
            }
        }
        return new Tensor(flat, [r, c]);
    }

    /// <summary>Wraps <paramref name="data"/> without copying; the caller must not keep mutating it.</summary>
    public static Tensor Wrap(float[] data, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        int[] dims = shape.Length == 0 ? [data.Length] : (int[])shape.Clone();
        if (ShapeUtil.Product(dims) != data.Length)
        {
            throw new ArgumentException($"Shape {ShapeUtil.Format(dims)} needs {ShapeUtil.Product(dims)} elements but the array has {data.Length}.", nameof(shape));
        }
        return new Tensor(data, dims);
    }

    /// <summary>
    /// Wraps the elements <paramref name="storage"/>[<paramref name="offset"/> .. <paramref name="offset"/> + n), with n the
    /// product of <paramref name="shape"/>, without copying. Unlike <see cref="Wrap(float[], int[])"/> the array may be
    /// longer than the tensor, e.g. a buffer from <see cref="TensorScope.Allocate"/> rounded up so that batches of
    /// varying size can reuse it; the caller must not keep mutating the window.
    /// </summary>
    /// <param name="storage">The array holding the elements (row-major).</param>
    /// <param name="offset">Index of the first element in <paramref name="storage"/>.</param>
    /// <param name="shape">The shape (empty for a scalar).</param>
    /// <exception cref="ArgumentException">A negative extent, or the window does not fit in <paramref name="storage"/>.</exception>
    public static Tensor WrapView(float[] storage, int offset, int[] shape)
    {
        ArgumentNullException.ThrowIfNull(storage);
        ArgumentNullException.ThrowIfNull(shape);
        long size = 1;
        foreach (int extent in shape)
        {
            if (extent < 0)
            {
                throw new ArgumentException($"Shape {ShapeUtil.Format(shape)} has a negative extent.", nameof(shape));
            }
            size *= extent;
        }
        if (offset < 0 || offset + size > storage.Length)
        {
            throw new ArgumentException($"An array of length {storage.Length} cannot hold the {size} elements of shape {ShapeUtil.Format(shape)} at offset {offset}.", nameof(storage));
        }
        return new Tensor(storage, offset, (int[])shape.Clone());
    }

    /// <summary>Samples from N(<paramref name="mean"/>, <paramref name="std"/>²) with the given generator.</summary>
    public static Tensor RandN(Prng rng, int[] shape, float mean = 0f, float std = 1f)
    {
        ArgumentNullException.ThrowIfNull(rng);
        var data = new float[ShapeUtil.Product(shape)];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = mean + (std * (float)rng.NextNormal());
        }
        return new Tensor(data, (int[])shape.Clone());
    }

    /// <summary>Samples uniformly from [<paramref name="low"/>, <paramref name="high"/>) with the given generator.</summary>
    public static Tensor Rand(Prng rng, int[] shape, float low = 0f, float high = 1f)
    {
        ArgumentNullException.ThrowIfNull(rng);
        var data = new float[ShapeUtil.Product(shape)];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = low + ((high - low) * rng.NextFloat());
        }
        return new Tensor(data, (int[])shape.Clone());
    }

    /// <summary>A tensor of zeros with the shape of <paramref name="like"/>.</summary>
    public static Tensor ZerosLike(Tensor like)
    {
        ArgumentNullException.ThrowIfNull(like);
        return Zeros(like.Dims);
    }

    /// <summary>A tensor of ones with the shape of <paramref name="like"/>.</summary>
    public static Tensor OnesLike(Tensor like)
    {
        ArgumentNullException.ThrowIfNull(like);
        return Ones(like.Dims);
    }
}
