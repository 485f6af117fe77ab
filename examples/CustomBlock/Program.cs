// Runs the highway-max model of HighwayMaxCells.cs: the tree scan, the final state and the sequential baseline
// share the same parameters. Tree and sequential agree (up to float rounding) on positions 0..2, where both
// bracket the same way, and differ from t = 3 on: the block is not associative, so the bracketing matters.
using CustomBlock;
using TorchSharp;
using static TorchSharp.torch;

manual_seed(0);
using var model = new HighwayMaxModel(inputSize: 4, H: 16);
using var x = randn(2, 10, 4);
using var tree = model.forward(x);
using var sequential = model.ForwardSequential(x);
using var final = model.FinalState(x);

Console.WriteLine($"parameters: "
    + $"{string.Join(", ", model.named_parameters().Select(p => $"{p.name} [{string.Join(", ", p.parameter.shape)}]"))}");
Console.WriteLine($"tree scan output: [{string.Join(", ", tree.shape)}]");
for (int t = 0; t < 10; t++)
{
    double gap = (tree.select(1, t) - sequential.select(1, t)).abs().max().ToDouble();
    Console.WriteLine($"t = {t}: max |tree - sequential| = {gap:E2}");
}
Console.WriteLine($"final state vs last prefix of the scan: max difference "
    + $"{(final.h - tree.select(1, 9)).abs().max().ToDouble():E2} (float rounding)");
