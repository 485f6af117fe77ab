using System;
using System.Collections.Generic;

namespace PrLstm.Generators.Model
{
    /// <summary>Walks of the generator's trees (declaration bodies, plans) without recursion: bodies can be deep.</summary>
    internal static class Trees
    {
        /// <summary>Every node below <paramref name="root"/>, the root first, children in order.</summary>
        public static IEnumerable<T> PreOrder<T>(T root, Func<T, IReadOnlyList<T>> children)
        {
            var pending = new Stack<T>();
            pending.Push(root);
            while (pending.Count > 0)
            {
                T node = pending.Pop();
                yield return node;
                var below = children(node);
                for (int i = below.Count - 1; i >= 0; i--) pending.Push(below[i]);
            }
        }
    }
}
