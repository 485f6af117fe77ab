using Microsoft.CodeAnalysis;

namespace PrLstm.Generators.Parse
{
    /// <summary>Metadata names of the PrLstm.Dsl types, and their symbols resolved once per compilation.</summary>
    internal sealed class KnownTypes
    {
        public const string StateAttribute = "PrLstm.Dsl.StateAttribute";
        public const string SizeAttribute = "PrLstm.Dsl.SizeAttribute";
        public const string OutputAttribute = "PrLstm.Dsl.OutputAttribute";
        public const string ParallelRecursiveModelAttribute = "PrLstm.Dsl.ParallelRecursiveModelAttribute";
        public const string Vec = "PrLstm.Dsl.Vec";
        public const string Ops = "PrLstm.Dsl.Ops";

        public KnownTypes(Compilation compilation)
        {
            VecType = compilation.GetTypeByMetadataName(Vec);
            OpsType = compilation.GetTypeByMetadataName(Ops);
            moduleMemberNames = new System.Lazy<System.Collections.Generic.HashSet<string>>(() => InheritedNames(compilation));
        }

        private readonly System.Lazy<System.Collections.Generic.HashSet<string>> moduleMemberNames;

        /// <summary>
        /// Names that generated layers and models inherit from TorchSharp's Module (forward, train, name, ...); read only when
        /// a size or a generated name is checked, once per parse.
        /// </summary>
        public System.Collections.Generic.IReadOnlyCollection<string> ModuleMemberNames => moduleMemberNames.Value;

        private static System.Collections.Generic.HashSet<string> InheritedNames(Compilation compilation)
        {
            var names = new System.Collections.Generic.HashSet<string>();
            // Module and the generic Module<T..., TResult> that generated layers and models derive from (forward lives there).
            foreach (string module in new[] { "TorchSharp.torch+nn+Module", "TorchSharp.torch+nn+Module`2", "TorchSharp.torch+nn+Module`3",
                "TorchSharp.torch+nn+Module`4" })
                for (ITypeSymbol? type = compilation.GetTypeByMetadataName(module); type is not null; type = type.BaseType)
                    foreach (ISymbol member in type.GetMembers())
                        if (member.DeclaredAccessibility is not Accessibility.Private and not Accessibility.Internal
                            && member.CanBeReferencedByName)
                            names.Add(member.Name);
            return names;
        }

        public INamedTypeSymbol? VecType { get; }

        public INamedTypeSymbol? OpsType { get; }

        public bool IsVec(ITypeSymbol? type) => type is not null && SymbolEqualityComparer.Default.Equals(type, VecType);

        public static bool HasAttribute(ISymbol symbol, string metadataName) => FindAttribute(symbol, metadataName) is not null;

        public static AttributeData? FindAttribute(ISymbol symbol, string metadataName)
        {
            foreach (AttributeData attribute in symbol.GetAttributes())
                if (attribute.AttributeClass?.ToDisplayString() == metadataName)
                    return attribute;
            return null;
        }
    }
}
