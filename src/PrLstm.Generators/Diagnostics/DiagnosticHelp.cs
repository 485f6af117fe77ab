using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace PrLstm.Generators.Diagnostics
{
    /// <summary>
    /// The "Fix:" paragraph of each diagnostic's section in docs/diagnostics.md, which the generator embeds: one text
    /// for the docs and for the help an IDE shows.
    /// </summary>
    internal static class DiagnosticHelp
    {
        private static readonly Lazy<Dictionary<string, string>> Fixes = new(Read);

        public static string Fix(string id) => Fixes.Value.TryGetValue(id, out string? text) ? text : "";

        private static Dictionary<string, string> Read()
        {
            var fixes = new Dictionary<string, string>();
            using Stream? stream = typeof(DiagnosticHelp).Assembly.GetManifestResourceStream("PrLstm.Generators.diagnostics.md");
            if (stream is null) return fixes;
            using var reader = new StreamReader(stream);
            string? id = null;
            StringBuilder? fix = null;
            for (string? line = reader.ReadLine(); line is not null; line = reader.ReadLine())
            {
                if (line.StartsWith("## ", StringComparison.Ordinal))
                {
                    id = line.Substring(3).Trim();
                    fix = null;
                }
                else if (id is not null && fix is null && line.StartsWith("Fix: ", StringComparison.Ordinal))
                {
                    fix = new StringBuilder(line.Substring(5).Trim());
                }
                else if (id is not null && fix is not null)
                {
                    if (line.Trim().Length == 0)
                    {
                        fixes[id] = fix.ToString();
                        id = null;
                        fix = null;
                    }
                    else
                    {
                        fix.Append(' ').Append(line.Trim());
                    }
                }
            }
            if (id is not null && fix is not null) fixes[id] = fix.ToString();
            return fixes;
        }
    }
}
