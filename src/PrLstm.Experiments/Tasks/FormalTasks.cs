namespace PrLstm.Experiments.Tasks;

/// <summary>The 15 tasks, in the order of the paper's table (spec section 2).</summary>
public static class FormalTasks
{
    public static readonly IReadOnlyList<FormalTask> All = new FormalTask[]
    {
        new EvenPairs(), new ModularArithmetic(), new ParityCheck(), new CycleNavigation(),
        new StackManipulation(), new ReverseString(), new ModularArithmeticBrackets(), new SolveEquation(),
        new DuplicateString(), new MissingDuplicateString(), new OddsFirst(), new BinaryAddition(),
        new BinaryMultiplication(), new ComputeSqrt(), new BucketSort(),
    };

    /// <summary>The task of that name; an unknown name gives an <see cref="ArgumentException"/> listing the names.</summary>
    public static FormalTask Get(string name) =>
        All.FirstOrDefault(t => t.Name == name)
        ?? throw new ArgumentException($"unknown task '{name}'; the tasks are: {string.Join(", ", All.Select(t => t.Name))}");
}
