using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using PrLstm.Generators.Model;

namespace PrLstm.Generators.Emit
{
    /// <summary>Turns body expressions into TorchSharp C# (elementwise tensor operators and torch functions).</summary>
    internal static class ExpressionEmitter
    {
        public static string Emit(Expr expr) => Emit(expr, 0);

        private static string Emit(Expr expr, int parentPrecedence)
        {
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
                    return "-" + Emit(negate.Operand, 3);
                case Projection projection:
                    return projection.Name + ".forward(" + Emit(projection.Input, 0) + ")";
                case Binary binary:
                {
                    int precedence = binary.Operator is "*" or "/" ? 2 : 1;
                    // The right operand of - and / needs parentheses at equal precedence: a - (b - c).
                    int rightPrecedence = binary.Operator is "-" or "/" ? precedence + 1 : precedence;
                    string text = Emit(binary.Left, precedence) + " " + binary.Operator + " " + Emit(binary.Right, rightPrecedence);
                    return precedence < parentPrecedence ? "(" + text + ")" : text;
                }
                case Call call:
                {
                    var arguments = call.Arguments.Select(a => Emit(a, 0)).ToList();
                    return call.Function switch
                    {
                        "Sigmoid" => "torch.sigmoid(" + arguments[0] + ")",
                        "Tanh" => "torch.tanh(" + arguments[0] + ")",
                        "Relu" => "torch.nn.functional.relu(" + arguments[0] + ")",
                        "Identity" => Emit(call.Arguments[0], parentPrecedence),
                        "Max" => "torch.maximum(" + arguments[0] + ", " + arguments[1] + ")",
                        "Min" => "torch.minimum(" + arguments[0] + ", " + arguments[1] + ")",
                        _ => throw new System.InvalidOperationException("unknown function " + call.Function),
                    };
                }
                default:
                    throw new System.InvalidOperationException("unknown expression " + expr.GetType().Name);
            }
        }

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
