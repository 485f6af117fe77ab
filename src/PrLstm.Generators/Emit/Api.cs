using System.Collections.Generic;
using System.Linq;
using PrLstm.Generators.Tables;

namespace PrLstm.Generators.Emit
{
    /// <summary>
    /// The public surface of a generated model, as <see cref="ModelPrinter"/> writes it. User names that would collide
    /// with it (a size property, the model's own name) are reported, since public names cannot be renamed.
    /// </summary>
    internal static class ModelApi
    {
        public const string InputSize = "InputSize";
        public const string OutputSize = "OutputSize";
        public const string Refinements = "Refinements";
        public const string Encode = "Encode";
        public const string Combine = "Combine";
        public const string OpenStream = "OpenStream";
        public const string SaveWeights = "SaveWeights";
        public const string LoadWeights = "LoadWeights";
        public const string ScanOptions = "ScanOptions";
        public const string KernelPath = "KernelPath";

        // Constructor parameters (callers may name them).
        public const string InputSizeParameter = "inputSize";
        public const string RefinementsParameter = "refinements";
        public const string DeviceParameter = "device";
        public const string DtypeParameter = "dtype";

        /// <summary>Every public member and constructor parameter name.</summary>
        public static IReadOnlyCollection<string> Names { get; } = new HashSet<string>(
            new[] { InputSize, OutputSize, Refinements, Encode, Combine, OpenStream, SaveWeights, LoadWeights, ScanOptions, KernelPath,
                    InputSizeParameter, RefinementsParameter, DeviceParameter, DtypeParameter }
                .Concat(Schedules.All.Select(s => s.MethodName))
                .Concat(Schedules.All.Select(s => s.OutputMethod).OfType<string>()));
    }

    /// <summary>The public surface of a generated <c>Tensors</c> record, as <see cref="StatePrinter"/> writes it.</summary>
    internal static class TensorsApi
    {
        /// <summary>Members the printer writes, and those C# synthesises for every record struct.</summary>
        public static IReadOnlyCollection<string> Names { get; } = new HashSet<string>
        {
            "SqueezeTime", "FieldNames", "Fields", "FromFields",
            "DetachFromDisposeScope", "MoveToOuterDisposeScope", "Dispose",
            "Equals", "GetHashCode", "ToString", "Deconstruct", "PrintMembers", global::PrLstm.Generators.Emit.Names.TensorsRecord,
        };
    }
}
