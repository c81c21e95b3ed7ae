using DeepMetric.Tensors.Nn;
using DeepMetric.Tensors.Random;

namespace DeepMetric.Training;

/// <summary>
/// Finds every generator that advances during training by a stable name: components that are an
/// <see cref="IRandomSource"/>, reached through child modules and through the components an
/// <see cref="IRandomSourceContainer"/> names. A generator shared by several components is listed once, under the
/// first name met.
/// </summary>
internal sealed class RandomSourceWalker
{
    private readonly List<(string Name, Prng Rng)> _sources = [];
    private readonly HashSet<Prng> _seen = new(ReferenceEqualityComparer.Instance);

    /// <summary>The generators found so far, in the order met.</summary>
    public IReadOnlyList<(string Name, Prng Rng)> Sources => _sources;

    /// <summary>Visits <paramref name="component"/> (null is skipped) and everything it holds, named from <paramref name="path"/>.</summary>
    public void Visit(string path, object? component)
    {
        if (component is null)
        {
            return;
        }
        Add(path, component is IRandomSource source ? source.Rng : null);
        if (component is IRandomSourceContainer container)
        {
            foreach (var (name, held) in container.RandomComponents)
            {
                Visit(path + "." + name, held);
            }
        }
        if (component is Module module)
        {
            foreach (var (name, child) in module.NamedChildren())
            {
                Visit(path + "." + name, child);
            }
        }
    }

    /// <summary>Adds a generator under <paramref name="name"/> unless it is null or already listed.</summary>
    public void Add(string name, Prng? rng)
    {
        if (rng is not null && _seen.Add(rng))
        {
            _sources.Add((name, rng));
        }
    }
}
