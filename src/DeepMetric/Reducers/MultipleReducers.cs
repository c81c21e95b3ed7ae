using DeepMetric.Losses;
using DeepMetric.Tensors;

namespace DeepMetric.Reducers;

/// <summary>
/// Reduces each loss term with the reducer registered under the term's name (e.g. "pos_loss" with
/// <see cref="AvgNonZeroReducer"/> and "neg_loss" with <see cref="MeanReducer"/>), and every other term with
/// <see cref="Default"/> (a <see cref="MeanReducer"/> unless given).
/// </summary>
/// <remarks>
/// Names are matched exactly (ordinal, case-sensitive), as the losses spell them in their <see cref="LossTerm.Name"/>.
/// Empty and <see cref="LossTermKind.AlreadyReduced"/> terms are handled before the lookup, as for every reducer.
/// </remarks>
public sealed class MultipleReducers : Reducer
{
    private readonly Dictionary<string, Reducer> _reducers;

    /// <summary>Creates the reducer.</summary>
    /// <param name="reducers">Reducer per term name.</param>
    /// <param name="defaultReducer">Reducer of the terms not named in <paramref name="reducers"/> (default <see cref="MeanReducer"/>).</param>
    /// <exception cref="ArgumentException">A name is empty or a reducer is null.</exception>
    public MultipleReducers(IReadOnlyDictionary<string, Reducer> reducers, Reducer? defaultReducer = null)
    {
        ArgumentNullException.ThrowIfNull(reducers);
        _reducers = new Dictionary<string, Reducer>(reducers.Count, StringComparer.Ordinal);
        foreach (var (name, reducer) in reducers)
        {
            if (string.IsNullOrEmpty(name))
            {
                throw new ArgumentException("Term names must be non-empty.", nameof(reducers));
            }
            _reducers[name] = reducer ?? throw new ArgumentException($"The reducer for term '{name}' is null.", nameof(reducers));
        }
        Default = defaultReducer ?? new MeanReducer();
    }

    /// <summary>The reducer per term name.</summary>
    public IReadOnlyDictionary<string, Reducer> Reducers => _reducers;

    /// <summary>The reducer of terms without an entry in <see cref="Reducers"/>.</summary>
    public Reducer Default { get; }

    /// <summary>The reducer applied to a term called <paramref name="termName"/>.</summary>
    public Reducer For(string termName)
    {
        ArgumentNullException.ThrowIfNull(termName);
        return _reducers.TryGetValue(termName, out var r) ? r : Default;
    }

    /// <inheritdoc/>
    protected override Tensor ReduceCore(Tensor values, LossTerm term, int[] labels) => For(term.Name).Reduce(term, labels);
}
