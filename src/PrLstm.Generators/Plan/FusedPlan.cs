using System.Collections.Generic;
using System.Linq;
using PrLstm.Generators.Tables;

namespace PrLstm.Generators.Plan
{
    /// <summary>
    /// One value of a body in single-assignment form: a leaf (a gate's chunk of the projection, a field of a state
    /// parameter, a number), an elementwise operation, or a learned operation (Linear, LayerNorm). A local names the value
    /// of its expression, so a local read twice is one value.
    /// </summary>
    internal sealed class BodyValue
    {
        public BodyValue(int id, Op op, IReadOnlyList<int> inputs, string size, int statement)
        {
            Id = id;
            Op = op;
            Inputs = inputs;
            Size = size;
            Statement = statement;
        }

        /// <summary>Its position in <see cref="FusedLayerPlan.Values"/>: every input has a smaller id.</summary>
        public int Id { get; }

        public Op Op { get; }

        public IReadOnlyList<int> Inputs { get; }

        public string Size { get; }

        /// <summary>The index of the body statement that first computes it.</summary>
        public int Statement { get; }

        /// <summary>The number of a <see cref="Op.Constant"/>.</summary>
        public double Constant { get; set; }

        /// <summary>The gate, the state parameter (of a field), or the learned operation's weights.</summary>
        public string Name { get; set; } = "";

        /// <summary>The field of an <see cref="Op.Field"/> value.</summary>
        public string Field { get; set; } = "";

        /// <summary>The local that names this value, if any (the name its kernel variable takes).</summary>
        public string? Local { get; set; }

        /// <summary>The first field that returns this value, if any (a name for a value no local names).</summary>
        public string? Returned { get; set; }

        /// <summary>A value the region reads from a tensor: a gate, a field, or a learned operation's result.</summary>
        public bool IsInput => Op is Op.Gate or Op.Field || IsLearned;

        public bool IsLearned => Op is Op.Linear or Op.LayerNorm;
    }

    /// <summary>A tensor a region reads: the whole gate projection (each gate a column range of it), or a value's tensor.</summary>
    /// <param name="Value">The field or learned value; -1 for the projection.</param>
    internal sealed record RegionArgument(int Value)
    {
        public static readonly RegionArgument Projection = new(-1);

        public bool IsProjection => Value < 0;
    }

    /// <summary>An input slot of a region: a value, the argument it comes from, and for a gate its index (its columns).</summary>
    internal sealed record RegionInput(int Value, int Argument, int Gate);

    /// <summary>One span variable of a kernel: a value or an adjoint, in a slot of the block.</summary>
    internal sealed record KernelVariable(string Name, int Slot);

    /// <summary>
    /// One statement of a kernel: <c>FusedMath.Function(operands..., destination[, accumulate])</c>, under the comment
    /// that says which declaration statement (or whose adjoint) it implements.
    /// </summary>
    internal sealed record KernelStep(string Function, IReadOnlyList<string> Operands, string Destination, bool? Accumulate,
        string? Comment);

    /// <summary>One kernel pass (forward or backward): its span variables and its statements.</summary>
    internal sealed record KernelCode(IReadOnlyList<KernelVariable> Variables, IReadOnlyList<KernelStep> Steps, int Temporaries);

    /// <summary>
    /// An elementwise region of the body, of one size: the values it reads, the values it returns, the forward kernel
    /// that computes them and the backward kernel derived from it (<see cref="Derivatives"/>).
    /// </summary>
    internal sealed record FusedRegion(
        int Index,
        string Size,
        IReadOnlyList<RegionArgument> Arguments,
        IReadOnlyList<RegionInput> Inputs,
        IReadOnlyList<int> Outputs,
        KernelCode Forward,
        KernelCode Backward);

    /// <summary>A step of the fused forward path: a region's kernel, or a learned operation (a torch module call).</summary>
    internal sealed record FusedStage(FusedRegion? Region, BodyValue? Learned);

    /// <summary>A field of the result: the value it returns, and whether it is an alias (an input, or already returned).</summary>
    internal sealed record FusedField(string Field, int Value, string Source, bool Alias);

    /// <summary>
    /// The fused forward path of a layer: the body's values, the stages in the order they run, and each field's value.
    /// Learned operations split the body: each stage's regions compute the inputs of the learned operations that come
    /// next, and the last regions compute the fields. A region recomputes what it needs of earlier regions' values
    /// rather than reading them, so each saves only its own inputs.
    /// </summary>
    internal sealed record FusedLayerPlan(
        IReadOnlyList<BodyValue> Values,
        IReadOnlyList<FusedStage> Stages,
        IReadOnlyList<FusedField> Fields)
    {
        /// <summary>The regions of the stages, in the order they run (their <see cref="FusedRegion.Index"/> order).</summary>
        public IEnumerable<FusedRegion> Regions => Stages.Select(s => s.Region).OfType<FusedRegion>();
    }
}
