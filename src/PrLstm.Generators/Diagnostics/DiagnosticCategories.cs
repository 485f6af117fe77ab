namespace PrLstm.Generators.Diagnostics
{
    internal static class DiagnosticCategories
    {
        /// <summary>PRL0xxx: how a declaration is written (partial, members, attribute arguments, body syntax).</summary>
        public const string Declaration = "PrLstm.Declaration";

        /// <summary>PRL1xxx: what a declaration means (sizes, gates, state fields, arity, model wiring).</summary>
        public const string Model = "PrLstm.Model";

        /// <summary>PRL9xxx: failures of the generator itself.</summary>
        public const string Internal = "PrLstm.Internal";
    }
}
