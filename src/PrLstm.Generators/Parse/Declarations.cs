using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using PrLstm.Generators.Diagnostics;
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
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedTypeShape, location, DisplayName(type), "nested in " + DisplayName(type.ContainingType)));
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
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NotPartial, LocationInfo.From(declaration.Identifier), type.Name, adds));
                    return false;
                }
            }
            return true;
        }

        /// <summary>Names the generated code uses for its own parameters; a size may not take them.</summary>
        private static readonly string[] ReservedSizeNames =
        {
            // Constructor parameters and locals of the generated model and layers.
            "inputSize", "refinements", "device", "dtype", "x", "scope", "refinementLayers", "k",
            // Members of the generated model (a size becomes a property of the same name).
            "InputSize", "OutputSize", "Refinements", "encoder", "block", "forward", "ScanStates", "FinalState", "ForwardSequential",
            "ScanStatesSequential", "Encode", "Combine", "SaveWeights", "LoadWeights", "Combiner", "OpenStream", "batch",
        };

        /// <summary>Members and locals of the generated Tensors record; a state field of that name would clash.</summary>
        public static readonly string[] ReservedFieldNames =
        {
            "Tensors", "Length", "Slice", "Interleave", "Concat", "SqueezeTime", "MoveToOuterDisposeScope", "Dispose",
            "Equals", "GetHashCode", "ToString", "Deconstruct", "EqualityContract", "CpuBytesPerPosition", "FieldNames", "Fields", "FromFields", "fields", "DetachFromDisposeScope", "parts", "evenParts", "even", "odd", "start", "stop", "step", "i", "torch",
        };

        /// <summary>Why <paramref name="name"/> cannot be a size name, or null when it can.</summary>
        public static string? SizeNameProblem(string? name)
        {
            if (string.IsNullOrEmpty(name)) return "it is empty";
            if (!SyntaxFacts.IsValidIdentifier(name) || SyntaxFacts.GetKeywordKind(name!) != SyntaxKind.None)
                return "sizes become constructor parameters, so a size must be a C# identifier such as \"H\"";
            if (ReservedSizeNames.Contains(name)) return "the generated model already has a parameter or member of that name";
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
