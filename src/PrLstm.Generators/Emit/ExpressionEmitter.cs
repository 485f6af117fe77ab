using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using PrLstm.Generators.Model;

namespace PrLstm.Generators.Emit
{
    /// <summary>What the emitter knows about the names of one body.</summary>
    /// <param name="ScalarLocals">Locals that hold a number, not a tensor.</param>
    /// <param name="GateSigmoids">For gates whose sigmoid the layer computes for all gates at once: the text of Sigmoid(gate).</param>
    internal sealed record EmitContext(IReadOnlyCollection<string> ScalarLocals, IReadOnlyDictionary<string, string> GateSigmoids)
    {
        public static readonly EmitContext Empty = new(new string[0], new Dictionary<string, string>());
    }

    /// <summary>
    /// Turns body expressions into TorchSharp C# (elementwise tensor operators and torch functions). Two rewrites save
    /// passes over memory: sum + a * b becomes one addcmul, and Tanh goes through Elementwise.Tanh (fast on the CPU).
    /// </summary>
    internal static class ExpressionEmitter
    {
        private const string Elementwise = "global::PrLstm.Runtime.Modules.Elementwise.";

        public static string Emit(Expr expr, EmitContext context) => Emit(expr, 0, context);

        private static string Emit(Expr expr, int parentPrecedence, EmitContext context)
        {
            string Inner(Expr e, int precedence) => Emit(e, precedence, context);
            switch (expr)
            {
                case Constant constant:
                    return Literal(constant.Value);
                case GateRef gate:
                    return gate.Gate;
                case FieldRef field:
                    return field.Parameter + "." + field.Field;
                case LocalRef local:
                    return local.Name;
                case Negate negate:
                    return "-" + Inner(negate.Operand, 3);
                case Projection projection:
                    return projection.Name + ".forward(" + Inner(projection.Input, 0) + ")";
                case Binary { Operator: "+" } sum when ProductOfTensors(sum.Right, context) is Binary product && IsTensor(sum.Left, context):
                    return Elementwise + "AddProduct(" + Inner(sum.Left, 0) + ", " + Inner(product.Left, 0) + ", " + Inner(product.Right, 0) + ")";
                case Binary { Operator: "+" } sum when ProductOfTensors(sum.Left, context) is Binary product && IsTensor(sum.Right, context):
                    return Elementwise + "AddProduct(" + Inner(sum.Right, 0) + ", " + Inner(product.Left, 0) + ", " + Inner(product.Right, 0) + ")";
                case Binary binary:
                {
                    int precedence = binary.Operator is "*" or "/" ? 2 : 1;
                    // The right operand of - and / needs parentheses at equal precedence: a - (b - c).
                    int rightPrecedence = binary.Operator is "-" or "/" ? precedence + 1 : precedence;
                    string text = Inner(binary.Left, precedence) + " " + binary.Operator + " " + Inner(binary.Right, rightPrecedence);
                    return precedence < parentPrecedence ? "(" + text + ")" : text;
                }
                case Call call:
                {
                    if (call.Function == "Sigmoid" && call.Arguments[0] is GateRef sigmoidGate && context.GateSigmoids.TryGetValue(sigmoidGate.Gate, out var computed))
                        return computed;
                    var arguments = call.Arguments.Select(a => Inner(a, 0)).ToList();
                    return call.Function switch
                    {
                        "Sigmoid" => "torch.sigmoid(" + arguments[0] + ")",
                        "Tanh" => Elementwise + "Tanh(" + arguments[0] + ")",
                        "Relu" => "torch.nn.functional.relu(" + arguments[0] + ")",
                        "Identity" => Inner(call.Arguments[0], parentPrecedence),
                        "Max" => "torch.maximum(" + arguments[0] + ", " + arguments[1] + ")",
                        "Min" => "torch.minimum(" + arguments[0] + ", " + arguments[1] + ")",
                        _ => throw new System.InvalidOperationException("unknown function " + call.Function),
                    };
                }
                default:
                    throw new System.InvalidOperationException("unknown expression " + expr.GetType().Name);
            }
        }

        /// <summary>a * b with both factors tensors (addcmul takes no numbers), through Identity; otherwise null.</summary>
        private static Binary? ProductOfTensors(Expr expr, EmitContext context) => expr switch
        {
            Binary { Operator: "*" } product when IsTensor(product.Left, context) && IsTensor(product.Right, context) => product,
            Call { Function: "Identity" } call => ProductOfTensors(call.Arguments[0], context),
            _ => null,
        };

        /// <summary>Whether the expression's value is a tensor (not a number).</summary>
        private static bool IsTensor(Expr expr, EmitContext context) => expr switch
        {
            Constant => false,
            LocalRef local => !context.ScalarLocals.Contains(local.Name),
            Negate negate => IsTensor(negate.Operand, context),
            Binary binary => IsTensor(binary.Left, context) || IsTensor(binary.Right, context),
            Call { Function: "Identity" } call => IsTensor(call.Arguments[0], context),
            _ => true,
        };

        /// <summary>A round-trippable, culture-independent double literal ("1.0", "0.5", "1E-05").</summary>
        public static string Literal(double value)
        {
            string text = value.ToString("R", CultureInfo.InvariantCulture);
            return text.IndexOfAny(new[] { '.', 'E', 'e', 'N', 'I' }) >= 0 ? text : text + ".0";
        }

        /// <summary>
        /// Whether the expression is, through locals and Identity, nothing but a field of a state parameter: the
        /// caller's tensor. Returned fields must be fresh tensors, so such a value is returned as an alias.
        /// </summary>
        public static bool IsInputView(Expr expr, IReadOnlyDictionary<string, Expr> locals) => expr switch
        {
            FieldRef => true,
            LocalRef local => locals.TryGetValue(local.Name, out var value) && IsInputView(value, locals),
            Call { Function: "Identity" } call => IsInputView(call.Arguments[0], locals),
            _ => false,
        };

        /// <summary>Whether the expression is a bare name (local or gate), possibly through Identity.</summary>
        public static string? BareName(Expr expr) => expr switch
        {
            LocalRef local => local.Name,
            GateRef gate => gate.Gate,
            Call { Function: "Identity" } call => BareName(call.Arguments[0]),
            _ => null,
        };
    }
}
