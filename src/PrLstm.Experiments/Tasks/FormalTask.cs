namespace PrLstm.Experiments.Tasks;

/// <summary>Levels of the Chomsky hierarchy used by the benchmark (NNCH TASK_LEVELS).</summary>
public enum TaskLevel
{
    /// <summary>Regular.</summary>
    R,
    /// <summary>Deterministic context-free.</summary>
    DCF,
    /// <summary>Context-sensitive.</summary>
    CS,
}

/// <summary>One sequence: input token ids (before the empty output slots) and target class ids.</summary>
public sealed record TaskSample(int[] Input, int[] Target);

/// <summary>
/// A formal-language task of "Neural Networks and the Chomsky Hierarchy" as the PR-LSTM experiments ran it
/// (spec sections 1 and 2): vocabularies, sampling, targets, output lengths and accuracy masks.
/// </summary>
public abstract class FormalTask
{
    /// <summary>The task's name as the reference code spells it, e.g. "even_pairs".</summary>
    public abstract string Name { get; }

    public abstract TaskLevel Level { get; }

    /// <summary>V: number of input token ids.</summary>
    public abstract int InputSize { get; }

    /// <summary>C: number of output classes.</summary>
    public abstract int OutputSize { get; }

    /// <summary>Input length n' for the sampler's n (n' = n except modular_arithmetic).</summary>
    public virtual int InputLength(int n) => n;

    /// <summary>L: number of output positions for input length n.</summary>
    public virtual int OutputLength(int n) => 1;

    /// <summary>
    /// Whether accuracy counts only positions up to and including the first terminator (class 2):
    /// stack_manipulation, binary_addition, binary_multiplication. The loss always covers every position.
    /// </summary>
    public virtual bool MasksAfterTerminator => false;

    /// <summary>The symbols users type for each input token id, in id order (for the CLI).</summary>
    public abstract string Alphabet { get; }

    /// <summary>The symbols for each output class, in class order.</summary>
    public virtual string OutputAlphabet => Alphabet.Substring(0, OutputSize);

    /// <summary>Draws a batch of independent sequences of length n (n ≥ 1), in the reference's draw order.</summary>
    public virtual IReadOnlyList<TaskSample> SampleBatch(TaskRandom random, int batchSize, int n)
    {
        CheckLength(n);
        var batch = new TaskSample[batchSize];
        for (int b = 0; b < batchSize; b++) batch[b] = Sample(random, n);
        return batch;
    }

    /// <summary>Draws one sequence of length n.</summary>
    protected abstract TaskSample Sample(TaskRandom random, int n);

    /// <summary>
    /// The target of an input (every task's input determines its target). Throws <see cref="FormatException"/>
    /// for an input the task could not have produced (e.g. an unbalanced bracket expression).
    /// </summary>
    public abstract int[] TargetFor(int[] input);

    /// <summary>Accuracy mask of one target: all ones, or ones up to and including the first terminator.</summary>
    public float[] Mask(int[] target)
    {
        var mask = new float[target.Length];
        // The reference takes argmax over time of the class ids: the first position holding the largest class,
        // which is the first terminator (2) in every target of these tasks.
        int end = MasksAfterTerminator ? Array.IndexOf(target, target.Max()) : target.Length - 1;
        for (int t = 0; t <= end; t++) mask[t] = 1;
        return mask;
    }

    protected static void CheckLength(int n)
    {
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(n), n, $"a task length must be at least 1, not {n}");
    }

    /// <summary>Reads a string in the task's alphabet into token ids; throws naming the first bad symbol.</summary>
    public int[] Parse(string text)
    {
        var ids = new int[text.Length];
        for (int i = 0; i < text.Length; i++)
        {
            int id = Alphabet.IndexOf(text[i]);
            if (id < 0)
                throw new FormatException($"'{text[i]}' at position {i + 1} is not in the alphabet of {Name} (\"{Alphabet}\")");
            ids[i] = id;
        }
        return ids;
    }

    public override string ToString() => Name;
}
