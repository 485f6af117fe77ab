using PrLstm.Generators.Model;

namespace PrLstm.Generators.Emit
{
    /// <summary>One generated file per declaration: {Namespace.Type}.{Layer|Tensors|Model}.g.cs.</summary>
    internal static class HintNames
    {
        public static string For(TypeRef type, string nested) =>
            (type.Namespace.Length > 0 ? type.Namespace + "." : "") + type.Name + "." + nested + ".g.cs";
    }
}
