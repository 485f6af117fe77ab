using System.Collections.Immutable;
using System.Numerics;

namespace PrLstm.Runtime.Schedule;

/// <summary>
/// One complete block of a <see cref="StreamStack{TState}"/>: the balanced tree over <see cref="Size"/> consecutive
/// tokens (a power of two), and the left fold of every block up to and including this one. The first block of a
/// stack has no fold of its own (its fold is its tree); <see cref="Id"/> tells blocks apart when a stack is replaced.
/// </summary>
public readonly record struct StreamBlock<TState>(TState Tree, long Size, TState Fold, bool HasFold, long Id)
{
    /// <summary>The state of the prefix that ends with this block: its fold, or its tree for the first block.</summary>
    public TState Prefix => HasFold ? Fold : Tree;
}

/// <summary>
/// The state of a <see cref="PrefixStream"/> after <see cref="Position"/> tokens: complete blocks, oldest first, whose
/// sizes are the binary digits of <see cref="Position"/> (strictly decreasing powers of two). An immutable value:
/// <see cref="PrefixStream.Push{TState, TCombine}"/> returns a new stack that shares the blocks it keeps.
/// </summary>
public readonly record struct StreamStack<TState>(ImmutableArray<StreamBlock<TState>> Blocks, long Position, long NextId)
{
    /// <summary>The stack before any token.</summary>
    public static StreamStack<TState> Empty => new(ImmutableArray<StreamBlock<TState>>.Empty, 0, 0);

    /// <summary>The state of the whole prefix read so far (position <see cref="Position"/> - 1 of the tree scan).</summary>
    public TState Prefix => Blocks.IsDefaultOrEmpty
        ? throw new InvalidOperationException("The stream has not read any token yet.")
        : Blocks[^1].Prefix;
}

/// <summary>
/// The tree scan read one token at a time. <see cref="TreeScan.Prefix{TState, TCombine}"/> gives position t the
/// bracketing of <c>jax.lax.associative_scan</c>, which depends on t alone: it is the left fold
/// f(...f(f(B0, B1), B2)..., Bk) over the complete power-of-two subtrees B0, B1, ... that the binary digits of
/// t + 1 cut the prefix into, oldest first. So a stream keeps those blocks as a binary counter: a new token is a
/// block of size 1, merged with the newest block while their sizes are equal (new = f(newest, new)); the fold of
/// every stack prefix is kept beside its block, so after a push only the new block's fold is computed. A token costs
/// one combine for its output plus its carries (T - popcount(T) over T tokens): at most 2T combines for T tokens,
/// and O(log t) states of memory.
/// </summary>
public static class PrefixStream
{
    /// <summary>
    /// The stack after one more token, whose state is <paramref name="leaf"/> (one position); the prefix state of the
    /// new stack equals position <c>stack.Position</c> of the tree scan over all tokens read. Pure: the input stack
    /// is not changed and the blocks it shares with the result are the same values.
    /// </summary>
    public static StreamStack<TState> Push<TState, TCombine>(StreamStack<TState> stack, TState leaf, TCombine f)
        where TCombine : IScanCombine<TState>
    {
        var blocks = stack.Blocks.IsDefault ? ImmutableArray.CreateBuilder<StreamBlock<TState>>() : stack.Blocks.ToBuilder();
        TState tree = leaf;
        long size = 1;
        // The carry: equal sizes merge, the earlier block on the left.
        while (blocks.Count > 0 && blocks[^1].Size == size)
        {
            tree = f.Combine(blocks[^1].Tree, tree);
            blocks.RemoveAt(blocks.Count - 1);
            size *= 2;
        }
        long id = stack.NextId;
        blocks.Add(blocks.Count == 0
            ? new StreamBlock<TState>(tree, size, default!, HasFold: false, id)
            : new StreamBlock<TState>(tree, size, f.Combine(blocks[^1].Prefix, tree), HasFold: true, id));
        return new StreamStack<TState>(blocks.ToImmutable(), stack.Position + 1, id + 1);
    }

    /// <summary>The block sizes of a stack after <paramref name="position"/> tokens: its binary digits, largest first.</summary>
    public static long[] BlockSizes(long position)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        var sizes = new long[BitOperations.PopCount((ulong)position)];
        int i = 0;
        for (int bit = 62; bit >= 0; bit--)
            if ((position & (1L << bit)) != 0)
                sizes[i++] = 1L << bit;
        return sizes;
    }
}
