using System.Collections.Generic;
using System.Linq;

namespace PrLstm.Generators.Tables
{
    /// <summary>The operations of a declaration body, as the parser reads them and the plan and printer use them.</summary>
    internal enum Op
    {
        // Leaves.
        Constant,
        Gate,
        Field,
        Local,
        /// <summary>A gate's activation computed once for the layer (a named local such as <c>sigmoidFLeft</c>).</summary>
        GateActivation,

        // Elementwise arithmetic: + - * / and unary minus.
        Add,
        Subtract,
        Multiply,
        Divide,
        Negate,

        // PrLstm.Dsl.Ops functions.
        Sigmoid,
        Tanh,
        Relu,
        Identity,
        Max,
        Min,
        Linear,
        LayerNorm,

        /// <summary>sum + a ⊙ b in one call (torch.addcmul): made by a plan pass, never written by users.</summary>
        AddProduct,
    }

    /// <summary>One function of <c>PrLstm.Dsl.Ops</c>.</summary>
    /// <param name="Name">Its name in <c>PrLstm.Dsl.Ops</c>.</param>
    /// <param name="Arity">Number of vector arguments (a learned operation also takes its name).</param>
    /// <param name="Call">The TorchSharp call it becomes, {0} and {1} standing for the arguments; null for Identity and
    /// for the learned operations, which call their own module.</param>
    /// <param name="InPlaceMethod">The in-place tensor method that computes it into a fresh argument, or null.</param>
    /// <param name="Learned">Whether it has parameters of its own (Linear, LayerNorm).</param>
    internal sealed record DslFunction(string Name, Op Op, int Arity, string? Call, string? InPlaceMethod, bool Learned);

    /// <summary>
    /// The one table of the DSL's functions. The parser, the size checker, the printer, the code fix and the PRL0003
    /// message read it; a new function is a row here plus its case in the printer.
    /// </summary>
    internal static class DslFunctions
    {
        public static readonly IReadOnlyList<DslFunction> All = new[]
        {
            new DslFunction("Sigmoid", Op.Sigmoid, 1, "torch.sigmoid({0})", "sigmoid_", Learned: false),
            new DslFunction("Tanh", Op.Tanh, 1, "Elementwise.Tanh({0})", null, Learned: false),
            new DslFunction("Relu", Op.Relu, 1, "torch.nn.functional.relu({0})", "relu_", Learned: false),
            new DslFunction("Identity", Op.Identity, 1, null, null, Learned: false),
            new DslFunction("Max", Op.Max, 2, "torch.maximum({0}, {1})", null, Learned: false),
            new DslFunction("Min", Op.Min, 2, "torch.minimum({0}, {1})", null, Learned: false),
            new DslFunction("Linear", Op.Linear, 1, null, null, Learned: true),
            new DslFunction("LayerNorm", Op.LayerNorm, 1, null, null, Learned: true),
        };

        public static DslFunction? Find(string name) => All.FirstOrDefault(f => f.Name == name);

        public static DslFunction Of(Op op) => All.First(f => f.Op == op);

        /// <summary>"Sigmoid, Tanh, Relu, Identity, Max or Min": the elementwise functions, for messages.</summary>
        public static string ElementwiseNames
        {
            get
            {
                var names = All.Where(f => !f.Learned).Select(f => f.Name).ToList();
                return string.Join(", ", names.Take(names.Count - 1)) + " or " + names[names.Count - 1];
            }
        }
    }
}
