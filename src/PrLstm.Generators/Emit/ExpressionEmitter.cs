using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using PrLstm.Generators.Model;

namespace PrLstm.Generators.Emit
{
    /// <summary>What the emitter knows about the names of one body.</summary>
    /// <param name="ScalarLocals">Locals that hold a number, not a tensor.</param>
    /// <param name="GateSigmoids">For gates whose sigmoid the layer has already computed: the text of Sigmoid(gate).</param>
    /// <param name="GateTanhs">For gates whose tanh the layer has already computed: the text of Tanh(gate).</param>
    internal sealed record EmitContext(IReadOnlyCollection<string> ScalarLocals, IReadOnlyDictionary<string, string> GateSigmoids, IReadOnlyDictionary<string, string> GateTanhs);

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
                case Binary sum when SumOfProduct(sum, context) is { } split:
                    return Elementwise + "AddProduct(" + Inner(split.Addend, 0) + ", " + Inner(split.Product.Left, 0) + ", " + Inner(split.Product.Right, 0) + ")";
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

        /// <summary>
        /// The expression for a path that records no gradient: an operation whose operand is a fresh temporary (the
        /// unnamed result of another operation, used nowhere else) writes into it (mul_, add_, addcmul_, sigmoid_,
        /// ...) instead of allocating. Names (gates, fields, locals) are never written to.
        /// </summary>
        public static string EmitInPlace(Expr expr, EmitContext context) => InPlace(expr, context).Text;

        /// <summary>Text, whether it is a fresh temporary tensor, and whether it needs parentheses as a receiver or operand.</summary>
        private readonly struct Emitted
        {
            public Emitted(string text, bool fresh, bool compound) { Text = text; Fresh = fresh; Compound = compound; }
            public string Text { get; }
            public bool Fresh { get; }
            public bool Compound { get; }
            public string Operand => Compound ? "(" + Text + ")" : Text;
        }

        private static Emitted InPlace(Expr expr, EmitContext context)
        {
            Emitted Name(string text) => new Emitted(text, false, false);
            Emitted Fresh(string text) => new Emitted(text, true, false);
            switch (expr)
            {
                case Constant constant:
                    return Name(Literal(constant.Value));
                case GateRef gate:
                    return Name(gate.Gate);
                case FieldRef field:
                    return Name(field.Parameter + "." + field.Field);
                case LocalRef local:
                    return Name(local.Name);
                case Negate negate:
                {
                    var operand = InPlace(negate.Operand, context);
                    return operand.Fresh ? Fresh(operand.Operand + ".neg_()") : new Emitted("-" + operand.Operand, IsTensor(negate, context), true);
                }
                case Projection projection:
                    return Fresh(projection.Name + ".forward(" + InPlace(projection.Input, context).Text + ")");
                case Binary sum when SumOfProduct(sum, context) is { } split:
                {
                    var (addend, factors) = split;
                    var total = InPlace(addend, context);
                    string arguments = total.Text + ", " + InPlace(factors.Left, context).Text + ", " + InPlace(factors.Right, context).Text + ")";
                    return Fresh(Elementwise + (total.Fresh ? "AddProductInPlace(" : "AddProduct(") + arguments);
                }
                case Binary binary:
                {
                    var left = InPlace(binary.Left, context);
                    var right = InPlace(binary.Right, context);
                    string? method = binary.Operator switch { "+" => "add_", "-" => "sub_", "*" => "mul_", "/" => "div_", _ => null };
                    bool commutative = binary.Operator is "+" or "*";
                    if (method is not null && left.Fresh)
                        return Fresh(left.Operand + "." + method + "(" + right.Text + ")");
                    if (method is not null && commutative && right.Fresh)
                        return Fresh(right.Operand + "." + method + "(" + left.Text + ")");
                    return new Emitted(left.Operand + " " + binary.Operator + " " + right.Operand, IsTensor(binary, context), true);
                }
                case Call call:
                {
                    if (call.Arguments[0] is GateRef gate
                        && (call.Function == "Sigmoid" ? context.GateSigmoids : call.Function == "Tanh" ? context.GateTanhs : null) is { } computed
                        && computed.TryGetValue(gate.Gate, out var activated))
                        return Name(activated);
                    var arguments = call.Arguments.Select(a => InPlace(a, context)).ToList();
                    var x = arguments[0];
                    return call.Function switch
                    {
                        "Sigmoid" => Fresh(x.Fresh ? x.Operand + ".sigmoid_()" : "torch.sigmoid(" + x.Text + ")"),
                        "Tanh" => Fresh(Elementwise + (x.Fresh ? "TanhInPlace(" : "Tanh(") + x.Text + ")"),
                        "Relu" => Fresh(x.Fresh ? x.Operand + ".relu_()" : "torch.nn.functional.relu(" + x.Text + ")"),
                        "Identity" => x,
                        "Max" => Fresh("torch.maximum(" + x.Text + ", " + arguments[1].Text + ")"),
                        "Min" => Fresh("torch.minimum(" + x.Text + ", " + arguments[1].Text + ")"),
                        _ => throw new System.InvalidOperationException("unknown function " + call.Function),
                    };
                }
                default:
                    throw new System.InvalidOperationException("unknown expression " + expr.GetType().Name);
            }
        }

        /// <summary>addend + a * b (or a * b + addend) with all three tensors, as (addend, a * b); otherwise null.</summary>
        private static (Expr Addend, Binary Product)? SumOfProduct(Binary sum, EmitContext context)
        {
            if (sum.Operator != "+") return null;
            if (ProductOfTensors(sum.Right, context) is Binary right && IsTensor(sum.Left, context)) return (sum.Left, right);
            if (ProductOfTensors(sum.Left, context) is Binary left && IsTensor(sum.Right, context)) return (sum.Right, left);
            return null;
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
