using System.Collections.Generic;
using System.Linq;

namespace PrLstm.Generators.Check
{
    /// <summary>Symbolic sizes: a size is a name; a concatenation's size is a sum of names (e.g. 2·H + M).</summary>
    internal static class Sizes
    {
        /// <summary>The size of a number (a constant, or an expression of constants): no vector size at all.</summary>
        public const string Scalar = "";

        /// <summary>Formats a sum of size names as people write it: "H", "2·H", "2·H + M".</summary>
        public static string Format(IEnumerable<string> terms) =>
            string.Join(" + ", Group(terms).Select(g => g.Count == 1 ? g.Name : g.Count + "·" + g.Name));

        /// <summary>The same sum as a C# expression over the size parameters: "H", "2 * H", "2 * H + M".</summary>
        public static string ToCSharp(IEnumerable<string> terms) =>
            string.Join(" + ", Group(terms).Select(g => g.Count == 1 ? g.Name : g.Count + " * " + g.Name));

        /// <summary>Whether two sums are equal for every value of the names.</summary>
        public static bool SameSum(IEnumerable<string> a, IEnumerable<string> b)
            => Format(a.OrderBy(x => x, System.StringComparer.Ordinal)) == Format(b.OrderBy(x => x, System.StringComparer.Ordinal));

        /// <summary>Names in order of first appearance, without repeats.</summary>
        public static List<string> Distinct(IEnumerable<string> names)
        {
            var seen = new HashSet<string>();
            return names.Where(seen.Add).ToList();
        }

        private static IEnumerable<(string Name, int Count)> Group(IEnumerable<string> terms)
        {
            var order = new List<string>();
            var counts = new Dictionary<string, int>();
            foreach (string term in terms)
            {
                if (!counts.ContainsKey(term)) { order.Add(term); counts[term] = 0; }
                counts[term]++;
            }
            return order.Select(name => (name, counts[name]));
        }
    }
}
