namespace PrLstm.Generators
{
    public sealed partial class PrLstmGenerator
    {
        /// <summary>Tracking names of the pipeline steps (incrementality tests assert their run reasons).</summary>
        internal static class StepNames
        {
            public const string States = "PrLstm.States";
            public const string Encoders = "PrLstm.Encoders";
            public const string Blocks = "PrLstm.Blocks";
            public const string Refinements = "PrLstm.Refinements";
            public const string CheckedLayers = "PrLstm.CheckedLayers";
            public const string Models = "PrLstm.Models";
            public const string CheckedModels = "PrLstm.CheckedModels";

            public static string For(Tables.LayerKind kind) => kind switch
            {
                Tables.LayerKind.Encoder => Encoders,
                Tables.LayerKind.Block => Blocks,
                Tables.LayerKind.Refinement => Refinements,
            };
        }
    }
}
