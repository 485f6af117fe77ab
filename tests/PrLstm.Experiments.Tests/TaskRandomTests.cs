namespace PrLstm.Experiments.Tests;

public class TaskRandomTests
{
    [Fact]
    public void RestoredStateContinuesTheSameStream()
    {
        var random = new TaskRandom(123);
        for (int i = 0; i < 10; i++) random.NextUInt64();
        var copy = TaskRandom.FromState(random.State);
        Assert.Equal(Enumerable.Range(0, 50).Select(_ => random.Uniform(0, 1000)), Enumerable.Range(0, 50)
            .Select(_ => copy.Uniform(0, 1000)));
    }

    [Fact]
    public void UniformIsUniformAndInclusive()
    {
        var random = new TaskRandom(1);
        var counts = new int[5];
        for (int i = 0; i < 50_000; i++) counts[random.Uniform(0, 4)]++;
        Assert.All(counts, c => Assert.InRange(c, 9_500, 10_500));
    }

    [Fact]
    public void PermutationContainsEveryItemOnce()
    {
        var permutation = new TaskRandom(2).Permutation(Enumerable.Range(1, 40));
        Assert.Equal(Enumerable.Range(1, 40), permutation.Order());
        Assert.NotEqual(Enumerable.Range(1, 40), permutation);
    }
}
