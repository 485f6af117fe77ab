namespace PrLstm.Experiments.Tasks;

/// <summary>
/// A task over n iid fair bits whose target is a function of them (even_pairs, parity_check, reverse_string,
/// duplicate_string, odds_first): vocabulary {0, 1} in and out.
/// </summary>
public abstract class BitStringTask : FormalTask
{
    public override int InputSize => 2;
    public override int OutputSize => 2;
    public override string Alphabet => "01";

    protected override TaskSample Sample(TaskRandom random, int n)
    {
        var input = Bits.Random(random, n);
        return new TaskSample(input, TargetFor(input));
    }
}
