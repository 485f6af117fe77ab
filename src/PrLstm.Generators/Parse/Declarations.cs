using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using PrLstm.Generators.Diagnostics;
using PrLstm.Generators.Emit;
using PrLstm.Generators.Model;

namespace PrLstm.Generators.Parse
{
    /// <summary>Checks and facts that every declaration kind shares: shape, partial-ness, names.</summary>
    internal static class Declarations
    {
        public static string FullName(ITypeSymbol type) => type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);

        public static string DisplayName(ISymbol symbol) => symbol.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat);

        public static TypeRef ToTypeRef(INamedTypeSymbol type)
        {
            string keyword = type.IsRecord ? (type.IsValueType ? "record struct" : "record") : type.IsValueType ? "struct" : "class";
            string ns = type.ContainingNamespace.IsGlobalNamespace ? "" : type.ContainingNamespace.ToDisplayString();
            return new TypeRef(FullName(type), ns, type.Name, keyword, type.IsStatic);
        }

        /// <summary>
        /// Reports what stops the generator from re-opening <paramref name="type"/>: nested or generic types, and
        /// declarations without <c>partial</c>. Returns false when any was found.
        /// </summary>
        public static bool CheckShape(INamedTypeSymbol type, string adds, System.Collections.Generic.List<DiagnosticInfo> diagnostics)
        {
            var location = LocationInfo.From(type.Locations.FirstOrDefault());
            if (type.ContainingType is not null)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedTypeShape, location, DisplayName(type),
                    "nested in " + DisplayName(type.ContainingType)));
                return false;
            }
            if (type.IsGenericType)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedTypeShape, location, DisplayName(type), "generic"));
                return false;
            }
            foreach (SyntaxReference reference in type.DeclaringSyntaxReferences)
            {
                if (reference.GetSyntax() is TypeDeclarationSyntax declaration && !declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NotPartial, LocationInfo.From(declaration.Identifier),
                        type.Name, adds));
                    return false;
                }
            }
            return true;
        }

        /// <summary>
        /// Names the generated file could bind to instead of its own: every member of the user's type (the generated
        /// class is nested in it), and the members of its namespace that start like a generated alias (a type there
        /// would conflict with the alias). Only those, so that adding an unrelated type re-emits nothing. Plus
        /// <paramref name="inherited"/>: the members the generated class inherits (TorchSharp's Module for layers and models).
        /// </summary>
        public static EquatableArray<string> ScopeNames(INamedTypeSymbol type,
            System.Collections.Generic.IEnumerable<string> aliasCandidates,
            System.Collections.Generic.IEnumerable<string>? inherited = null)
        {
            var candidates = aliasCandidates.ToList();
            // Models alias their state's Tensors record without knowing the state at parse time: any name ending in Tensors.
            return type.GetMembers().Select(m => m.Name)
                .Concat(type.ContainingNamespace.GetMembers().Select(m => m.Name)
                    .Where(n => candidates.Any(c => n.StartsWith(c, System.StringComparison.Ordinal))
                        || n.EndsWith(Names.TensorsRecord, System.StringComparison.Ordinal)))
                .Concat(inherited ?? Enumerable.Empty<string>())
                .Distinct().OrderBy(n => n, System.StringComparer.Ordinal).ToEquatableArray();
        }

        /// <summary>Why <paramref name="name"/> cannot be a size name, or null when it can.</summary>
        public static string? SizeNameProblem(string? name, KnownTypes known)
        {
            if (string.IsNullOrEmpty(name)) return "it is empty";
            if (!SyntaxFacts.IsValidIdentifier(name) || SyntaxFacts.GetKeywordKind(name!) != SyntaxKind.None)
                return "sizes become constructor parameters, so a size must be a C# identifier such as \"H\"";
            if (ModelApi.Names.Contains(name)) return "the generated model already has a public member or constructor parameter of that "
                + "name";
            if (known.ModuleMemberNames.Contains(name!)) return "the generated model inherits a member of that name from TorchSharp's "
                + "Module";
            return null;
        }

        /// <summary>The string argument of [Size("...")] on a symbol, or null when it has none.</summary>
        public static string? SizeOf(ISymbol symbol)
        {
            AttributeData? size = KnownTypes.FindAttribute(symbol, KnownTypes.SizeAttribute);
            if (size is null) return null;
            return size.ConstructorArguments.Length == 1 && size.ConstructorArguments[0].Value is string name ? name : "";
        }

        public static T? NamedArgument<T>(AttributeData attribute, string name)
        {
            foreach (var argument in attribute.NamedArguments)
                if (argument.Key == name && argument.Value.Value is T value)
                    return value;
            return default;
        }

        public static bool HasNamedArgument(AttributeData attribute, string name) =>
            attribute.NamedArguments.Any(argument => argument.Key == name);
    }
}
