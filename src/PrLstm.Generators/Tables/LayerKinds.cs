using System.Collections.Generic;

namespace PrLstm.Generators.Tables
{
    /// <summary>The three declaration kinds that become layers.</summary>
    internal enum LayerKind
    {
        Encoder,
        Block,
        Refinement,
    }

    /// <summary>What the generator knows of one layer kind.</summary>
    /// <param name="Attribute">Metadata name of the attribute that declares it.</param>
    /// <param name="AttributeName">The attribute as users write it, e.g. "CompositionBlock".</param>
    /// <param name="ModelArgument">The [ParallelRecursiveModel] argument that names it, e.g. "Block".</param>
    /// <param name="MethodName">The one static method that defines it.</param>
    /// <param name="StateArity">Number of state parameters: 0 (encoder reads a token), 2 (children), 1 (refinement).</param>
    /// <param name="DisplayName">How messages and comments name it.</param>
    /// <param name="TimeAxis">How its forward's doc names the time axis: T tokens, or N pairs / states at once.</param>
    /// <param name="ForwardSummary">What its forward does, for the doc comment.</param>
    internal sealed record LayerKindInfo(
        LayerKind Kind,
        string Attribute,
        string AttributeName,
        string ModelArgument,
        string MethodName,
        int StateArity,
        string DisplayName,
        string TimeAxis,
        string ForwardSummary);

    /// <summary>The one table of layer kinds. Adding a kind is a row here; the switch below has no default arm, so a
    /// kind without a row does not compile.</summary>
    internal static class LayerKinds
    {
        private static readonly LayerKindInfo Encoder = new(LayerKind.Encoder, "PrLstm.Dsl.TokenEncoderAttribute", "TokenEncoder",
            "Encoder",
            "Encode", 0, "token encoder", "T", "Encodes every token on its own");

        private static readonly LayerKindInfo Block = new(LayerKind.Block, "PrLstm.Dsl.CompositionBlockAttribute", "CompositionBlock",
            "Block",
            "Compose", 2, "composition block", "N", "Merges N pairs of segments at once (left = earlier, right = later)");

        private static readonly LayerKindInfo Refinement = new(LayerKind.Refinement, "PrLstm.Dsl.RefinementBlockAttribute",
            "RefinementBlock", "Refinement",
            "Refine", 1, "refinement block", "N", "Refines N states at once");

        public static IReadOnlyList<LayerKindInfo> All { get; } = new[] { Encoder, Block, Refinement };

        public static LayerKindInfo Of(LayerKind kind) => kind switch
        {
            LayerKind.Encoder => Encoder,
            LayerKind.Block => Block,
            LayerKind.Refinement => Refinement,
        };
    }
}
