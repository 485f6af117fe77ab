using System.Reflection;
using Microsoft.CodeAnalysis;
using PrLstm.Generators.Diagnostics;
using PrLstm.Generators.Tests.Infrastructure;

namespace PrLstm.Generators.Tests;

/// <summary>Every diagnostic has a test, a docs entry and a release-tracking line, and IDs are never shared.</summary>
public class CatalogueTests
{
    private static readonly DiagnosticDescriptor[] Descriptors = typeof(DiagnosticDescriptors)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.FieldType == typeof(DiagnosticDescriptor))
        .Select(f => (DiagnosticDescriptor)f.GetValue(null)!)
        .ToArray();

    [Fact]
    public void IdsAreUniqueAndFollowTheBlocks()
    {
        Assert.Equal(Descriptors.Length, Descriptors.Select(d => d.Id).Distinct().Count());
        foreach (var d in Descriptors)
        {
            Assert.Matches("^PRL[0129][0-9]{3}$", d.Id);
            string expectedCategory = d.Id[3] switch
            {
                '0' => DiagnosticCategories.Declaration,
                '1' => DiagnosticCategories.Model,
                _ => DiagnosticCategories.Internal
            };
            Assert.Equal(expectedCategory, d.Category);
            // Help is inline: no link to a file outside the package.
            Assert.True(string.IsNullOrEmpty(d.HelpLinkUri), d.Id + ": " + d.HelpLinkUri);
        }
    }

    [Fact]
    public void EveryIdHasATestADocsSectionAndAReleaseLine()
    {
        var tests = typeof(DiagnosticTests).GetMethods().Select(m => m.Name).ToList();
        string docs = TestSources.Repository("docs/diagnostics.md");
        string releases = TestSources.Repository("src/PrLstm.Generators/AnalyzerReleases.Unshipped.md");
        foreach (var d in Descriptors)
        {
            Assert.Contains(tests, name => name.StartsWith(d.Id + "_", StringComparison.Ordinal));
            Assert.Contains("## " + d.Id + "\n", docs);
            Assert.Contains("`" + d.MessageFormat + "`", docs);
            Assert.Contains(d.Id + " | " + d.Category + " | " + d.DefaultSeverity + " | " + d.Title, releases);
            // The description an IDE shows is the section's Fix paragraph, word for word.
            string section = docs.Substring(docs.IndexOf("## " + d.Id + "\n", StringComparison.Ordinal));
            string fix = section.Substring(section.IndexOf("Fix: ", StringComparison.Ordinal) + 5);
            int end = fix.IndexOf("\n\n", StringComparison.Ordinal);
            fix = (end < 0 ? fix : fix.Substring(0, end)).TrimEnd();
            Assert.Equal(string.Join(" ", fix.Split('\n').Select(l => l.Trim())), d.Description.ToString());
        }
    }
}
