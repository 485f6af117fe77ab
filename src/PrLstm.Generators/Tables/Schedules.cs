using System.Collections.Generic;

namespace PrLstm.Generators.Tables
{
    /// <summary>One way a generated model runs its combine over a sequence.</summary>
    /// <param name="MethodName">The generated model's method, returning the state tensors.</param>
    /// <param name="RuntimeEntry">The PrLstm.Runtime.Schedule call it wraps, given the leaves and the combiner.</param>
    /// <param name="Summary">Its doc comment.</param>
    /// <param name="SqueezeTime">Whether it returns one state per sequence (fields <c>[B, size]</c>).</param>
    /// <param name="OutputMethod">The method that returns only the output field of <see cref="MethodName"/>, or null.</param>
    /// <param name="OutputSummary">The doc comment of <see cref="OutputMethod"/>, {0} standing for "field [B, T, size]".</param>
    /// <param name="Chunked">Whether its combines run in CPU-sized calls (CpuChunking.Around); the sequential fold combines one
    /// position at a time.</param>
    /// <param name="AtPositions">Whether it takes the prefix positions to compute (<c>IReadOnlyList&lt;long&gt; positions</c>),
    /// passed to the runtime entry between the leaves and the combiner.</param>
    internal sealed record ScheduleInfo(string MethodName, string RuntimeEntry, string Summary, bool SqueezeTime, string? OutputMethod,
        string? OutputSummary, bool Chunked, bool AtPositions = false);

    /// <summary>The one table of the schedules a generated model exposes.</summary>
    internal static class Schedules
    {
        public static IReadOnlyList<ScheduleInfo> All { get; } = new[]
        {
            new ScheduleInfo("ScanStates", "TreeScan.Prefix", "Every field of every prefix state by the tree scan", SqueezeTime: false,
                "forward", "All prefix outputs by the tree scan: x <c>[B, T, E]</c> → {0}; position t depends on tokens 0..t only.",
                    Chunked: true),
            new ScheduleInfo("FinalState", "Reduce.Final",
                "The state of each whole sequence, equal to the last position of <see cref=\"ScanStates\"/> (same bracketing), computing "
                    + "only the tree nodes it needs",
                SqueezeTime: true, null, null, Chunked: true),
            new ScheduleInfo("ScanAt", "TreeScan.At",
                "The prefix states at <paramref name=\"positions\"/> alone (ascending, distinct), equal to those positions of "
                    + "<see cref=\"ScanStates\"/> (same bracketing), computing only the tree nodes they need",
                SqueezeTime: false, "ForwardAt",
                "The prefix outputs at <paramref name=\"positions\"/> alone (what a loss that reads only those positions needs): "
                    + "x <c>[B, T, E]</c> → {0} with one position per requested one.",
                Chunked: true, AtPositions: true),
            new ScheduleInfo("ScanStatesSequential", "SequentialFold.Prefix",
                "Every field of every prefix state of the sequential baseline: the same layers applied left to right, s_t = f(s_{t-1}, "
                    + "leaf_t)",
                SqueezeTime: false, "ForwardSequential", "The sequential baseline's prefix outputs: {0}.", Chunked: false),
        };
    }
}
