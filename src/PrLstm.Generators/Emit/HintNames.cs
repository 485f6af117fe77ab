using PrLstm.Generators.Model;

namespace PrLstm.Generators.Emit
{
    /// <summary>One generated file per declaration part: {Namespace.Type}.{Part}.g.cs.</summary>
    internal static class HintNames
    {
        public static string For(TypeRef type, string part) =>
            (type.Namespace.Length > 0 ? type.Namespace + "." : "") + type.Name + "." + part + ".g.cs";
    }
}
