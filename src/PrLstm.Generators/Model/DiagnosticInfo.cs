using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace PrLstm.Generators.Model
{
    /// <summary>
    /// Where a diagnostic points, as plain values. A Roslyn <see cref="Location"/> holds its syntax tree, which
    /// would keep old compilations alive from the pipeline's cache and never compare equal across runs
    /// (after dotnet/runtime's DiagnosticInfo, roslyn#68291).
    /// </summary>
    internal sealed record LocationInfo(string FilePath, TextSpan Span, LinePositionSpan LineSpan)
    {
        public Location ToLocation() => Location.Create(FilePath, Span, LineSpan);

        public static LocationInfo? From(Location? location) =>
            location is null || location.SourceTree is null
                ? null
                : new LocationInfo(location.SourceTree.FilePath, location.SourceSpan, location.GetLineSpan().Span);

        public static LocationInfo? From(SyntaxNode? node) => node is null ? null : From(node.GetLocation());

        public static LocationInfo? From(SyntaxToken token) => From(token.GetLocation());
    }

    /// <summary>A diagnostic to report: descriptor, location and message arguments (strings only).</summary>
    internal sealed record DiagnosticInfo(DiagnosticDescriptor Descriptor, LocationInfo? Location, EquatableArray<string> Arguments)
    {
        public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, LocationInfo? location, params string[] arguments) =>
            new(descriptor, location, arguments.ToEquatableArray());

        public Diagnostic ToDiagnostic() =>
            Diagnostic.Create(Descriptor, Location?.ToLocation() ?? Microsoft.CodeAnalysis.Location.None,
                System.Linq.Enumerable.ToArray<object>(Arguments));
    }

    /// <summary>A value together with the diagnostics found while computing it (after CommunityToolkit's Result).</summary>
    internal sealed record Result<T>(T Value, EquatableArray<DiagnosticInfo> Diagnostics);
}
