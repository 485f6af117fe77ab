using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using PrLstm.Generators.Diagnostics;
using PrLstm.Generators.Emit;
using PrLstm.Generators.Model;
using PrLstm.Generators.Tables;

namespace PrLstm.Generators.Parse
{
    /// <summary>
    /// Reads a declaration body (local declarations, then <c>return new State { ... }</c>) into expression
    /// records. C# has already type-checked the body, so anything it rejects is left to its own error: when the
    /// semantic model cannot bind a name, <see cref="CompilerError"/> holds C#'s first error and no PRL diagnostic is added.
    /// </summary>
    internal sealed class BodyParser
    {
        private readonly SemanticModel _model;
        private readonly KnownTypes _known;
        private readonly string _owner;
        private readonly HashSet<string> _gates;
        private readonly HashSet<string> _stateParameters;
        private readonly StateSpec _state;
        private readonly List<DiagnosticInfo> _diagnostics;

        public BodyParser(SemanticModel model, KnownTypes known, string owner, IEnumerable<string> gates,
            IEnumerable<string> stateParameters, StateSpec state, List<DiagnosticInfo> diagnostics)
        {
            _model = model;
            _known = known;
            _owner = owner;
            _gates = new HashSet<string>(gates);
            _stateParameters = new HashSet<string>(stateParameters);
            _state = state;
            _diagnostics = diagnostics;
        }

        /// <summary>Source location of each expression, indexed by <see cref="Expr.Id"/>.</summary>
        public List<LocationInfo?> Locations { get; } = new();

        public List<LocalSpec> Locals { get; } = new();

        public List<AssignmentSpec> Result { get; } = new();

        public LocationInfo? ResultLocation { get; private set; }

        /// <summary>C#'s first error in the body when C# rejects it (an unbound name), or null; nothing is emitted then.</summary>
        public string? CompilerError { get; private set; }

        private MethodDeclarationSyntax? _method;

        public void Parse(MethodDeclarationSyntax method)
        {
            _method = method;
            if (method.ExpressionBody is { } arrow)
            {
                ParseReturn(arrow.Expression);
                return;
            }
            if (method.Body is null)
            {
                Fail(DiagnosticDescriptors.UnsupportedStatement, method.Identifier, _owner, "a method without a body");
                return;
            }
            var statements = method.Body.Statements;
            for (int s = 0; s < statements.Count; s++)
            {
                StatementSyntax statement = statements[s];
                bool last = s == statements.Count - 1;
                if (statement is LocalDeclarationStatementSyntax local && !last
                    && local.Declaration.Variables.All(v => v.Initializer is not null))
                {
                    foreach (VariableDeclaratorSyntax variable in local.Declaration.Variables)
                    {
                        Expr? value = Convert(variable.Initializer!.Value);
                        if (value is not null) Locals.Add(new LocalSpec(variable.Identifier.ValueText, value,
                            SourceLine(local.Declaration.Variables.Count == 1 ? statement : variable)));
                    }
                }
                else if (statement is ReturnStatementSyntax { Expression: { } returned } && last)
                {
                    ParseReturn(returned);
                }
                else if (statement is ReturnStatementSyntax && !last)
                {
                    // The return is fine; what follows it is not.
                    Fail(DiagnosticDescriptors.UnsupportedStatement, statements[s + 1], _owner, Excerpt(statements[s + 1])
                        + "' after the return '" + Excerpt(statement));
                    break;
                }
                else if (!(last && statement is LocalDeclarationStatementSyntax))
                {
                    // (A trailing local declaration is reported below, as the missing return.)
                    Fail(DiagnosticDescriptors.UnsupportedStatement, statement, _owner, Excerpt(statement));
                }
            }
            if (!statements.Any(s => s is ReturnStatementSyntax))
                Fail(DiagnosticDescriptors.UnsupportedStatement, method.Identifier, _owner, "no final 'return new " + _state.Type.Name
                    + " { ... };'");
        }

        private void ParseReturn(ExpressionSyntax returned)
        {
            ResultLocation = LocationInfo.From(returned);
            InitializerExpressionSyntax? initializer = returned switch
            {
                ObjectCreationExpressionSyntax { ArgumentList: null or { Arguments.Count: 0 } } creation => creation.Initializer,
                ImplicitObjectCreationExpressionSyntax { ArgumentList.Arguments.Count: 0 } creation => creation.Initializer,
                _ => null,
            };
            if (initializer is null && returned is not (ObjectCreationExpressionSyntax or ImplicitObjectCreationExpressionSyntax))
            {
                Fail(DiagnosticDescriptors.UnsupportedExpression, returned, Excerpt(returned), _owner, "return a new state object, e.g. "
                    + "'return new " + _state.Type.Name + " { ... };'");
                return;
            }
            if (initializer is null) return; // 'new State()' assigns nothing: the checks report every field.
            foreach (ExpressionSyntax member in initializer.Expressions)
            {
                if (member is AssignmentExpressionSyntax { Left: IdentifierNameSyntax field } assignment
                    && assignment.IsKind(SyntaxKind.SimpleAssignmentExpression))
                {
                    Expr? value = Convert(assignment.Right);
                    if (value is not null) Result.Add(new AssignmentSpec(field.Identifier.ValueText, value, SourceLine(assignment)));
                }
                else
                {
                    Fail(DiagnosticDescriptors.UnsupportedExpression, member, Excerpt(member), _owner, "the returned state is written as "
                        + "'field = value' members");
                }
            }
        }

        private Expr? Convert(ExpressionSyntax syntax)
        {
            Optional<object?> constant = _model.GetConstantValue(syntax);
            if (constant.HasValue && constant.Value is not null and not string and not bool and not char)
                return new Constant(NewId(syntax), System.Convert.ToDouble(constant.Value, CultureInfo.InvariantCulture));

            switch (syntax)
            {
                case ParenthesizedExpressionSyntax parenthesized:
                    return Convert(parenthesized.Expression);

                case PrefixUnaryExpressionSyntax unary when unary.IsKind(SyntaxKind.UnaryPlusExpression):
                    return Convert(unary.Operand);

                case PrefixUnaryExpressionSyntax unary when unary.IsKind(SyntaxKind.UnaryMinusExpression):
                    {
                        int id = NewId(unary);
                        Expr? operand = Convert(unary.Operand);
                        return operand is null ? null : new Negate(id, operand);
                    }

                case BinaryExpressionSyntax binary when BinaryOp(binary) is { } op:
                    {
                        int id = NewId(binary.OperatorToken);
                        Expr? left = Convert(binary.Left);
                        Expr? right = Convert(binary.Right);
                        return left is null || right is null ? null : new Binary(id, op, left, right);
                    }

                case IdentifierNameSyntax identifier:
                    return ConvertName(identifier);

                case MemberAccessExpressionSyntax member when member.IsKind(SyntaxKind.SimpleMemberAccessExpression):
                    return ConvertMemberAccess(member);

                case InvocationExpressionSyntax invocation:
                    return ConvertInvocation(invocation);

                default:
                    return Fail(DiagnosticDescriptors.UnsupportedExpression, syntax, Excerpt(syntax), _owner, "bodies use + - * /, unary "
                        + "minus, constants, gates, state fields, locals and the PrLstm.Dsl.Ops functions");
            }
        }

        private Expr? ConvertName(IdentifierNameSyntax identifier)
        {
            string name = identifier.Identifier.ValueText;
            switch (_model.GetSymbolInfo(identifier).Symbol)
            {
                case IParameterSymbol when _gates.Contains(name):
                    return new GateRef(NewId(identifier), name);
                case IParameterSymbol when _stateParameters.Contains(name):
                    return Fail(DiagnosticDescriptors.UnsupportedExpression, identifier, name, _owner, "a whole state cannot be used as a "
                        + "value; use one of its fields, e.g. " + name + "." + _state.Fields[0].Name);
                case ILocalSymbol:
                    return new LocalRef(NewId(identifier), name);
                case null:
                    return Unbound();
                default:
                    return Fail(DiagnosticDescriptors.UnsupportedExpression, identifier, name, _owner, "only gates, state fields, locals "
                        + "and constants can be used");
            }
        }

        private Expr? ConvertMemberAccess(MemberAccessExpressionSyntax member)
        {
            if (member.Expression is IdentifierNameSyntax owner
                && _model.GetSymbolInfo(owner).Symbol is IParameterSymbol parameter
                && _stateParameters.Contains(parameter.Name))
            {
                string field = member.Name.Identifier.ValueText;
                if (_state.Field(field) is null)
                    return Fail(DiagnosticDescriptors.UnsupportedExpression, member, Excerpt(member), _owner, field + " is not a Vec "
                        + "field of " + _state.Type.Name);
                return new FieldRef(NewId(member), parameter.Name, field);
            }
            if (_model.GetSymbolInfo(member).Symbol is null) return Unbound();
            return Fail(DiagnosticDescriptors.UnsupportedExpression, member, Excerpt(member), _owner, "only fields of the state "
                + "parameters (" + string.Join(", ", _stateParameters) + ") can be read");
        }

        private Expr? ConvertInvocation(InvocationExpressionSyntax invocation)
        {
            string name = invocation.Expression switch
            {
                IdentifierNameSyntax simple => simple.Identifier.ValueText,
                MemberAccessExpressionSyntax access => access.Name.Identifier.ValueText,
                _ => invocation.Expression.ToString(),
            };
            ISymbol? symbol = _model.GetSymbolInfo(invocation).Symbol;
            if (symbol is null) return Unbound();
            if (symbol is not IMethodSymbol method || !SymbolEqualityComparer.Default.Equals(method.ContainingType, _known.OpsType))
                return Fail(DiagnosticDescriptors.UnknownFunction, invocation.Expression, name, _owner);

            DslFunction? function = DslFunctions.Find(method.Name);
            if (function is null)
                return Fail(DiagnosticDescriptors.UnknownFunction, invocation.Expression, name, _owner);
            if (function.Learned)
                return ConvertLearnedOp(invocation, function);

            int id = NewId(invocation);
            var arguments = new List<Expr>();
            foreach (ArgumentSyntax argument in invocation.ArgumentList.Arguments)
            {
                Expr? converted = Convert(argument.Expression);
                if (converted is null) return null;
                arguments.Add(converted);
            }
            return new Call(id, function.Op, arguments.ToEquatableArray());
        }

        /// <summary>Names of learned operations seen so far in this body (each names a parameter set).</summary>
        private readonly HashSet<string> _learnedNames = new();

        private Expr? ConvertLearnedOp(InvocationExpressionSyntax invocation, DslFunction function)
        {
            string kind = function.Name;
            var arguments = invocation.ArgumentList.Arguments;
            string Display(int i) => arguments.Count > i ? arguments[i].ToString() : "";
            var nameArgument = arguments.FirstOrDefault(a => a.NameColon?.Name.Identifier.ValueText == "name") ?? arguments[0];
            var inputArgument = arguments.FirstOrDefault(a => a.NameColon?.Name.Identifier.ValueText == "input")
                ?? arguments.Where(a => a.NameColon is null).Skip(1).FirstOrDefault();
            var biasArgument = arguments.FirstOrDefault(a => a.NameColon?.Name.Identifier.ValueText == "bias")
                ?? arguments.Where(a => a.NameColon is null).Skip(2).FirstOrDefault();
            if (_model.GetConstantValue(nameArgument.Expression) is not { HasValue: true, Value: string name })
                return Fail(DiagnosticDescriptors.InvalidProjection, nameArgument, kind, Display(0), _owner, "has a name that is not a "
                    + "constant string; write " + kind + "(\"candidate\", x)");
            if (!SyntaxFacts.IsValidIdentifier(name) || name == Names.GateWeights)
                return Fail(DiagnosticDescriptors.InvalidProjection, nameArgument, kind, name, _owner,
                    "needs a name that is a C# identifier other than '" + Names.GateWeights + "' (it names the parameters, and the gate "
                        + "projection's are '" + Names.GateWeights + ".*')");
            if (_gates.Contains(name) || _stateParameters.Contains(name) || Locals.Any(l => l.Name == name)
                || DeclaresLocal(invocation, name))
                return Fail(DiagnosticDescriptors.InvalidProjection, nameArgument, kind, name, _owner, "has the name of a gate, parameter "
                    + "or local of the body; give it its own name");
            if (!_learnedNames.Add(name))
                return Fail(DiagnosticDescriptors.InvalidProjection, nameArgument, kind, name, _owner, "is declared twice; each "
                    + "Linear(...) and LayerNorm(...) has its own parameters and its own name");
            bool bias = true;
            if (biasArgument is not null)
            {
                if (_model.GetConstantValue(biasArgument.Expression) is not { HasValue: true, Value: bool constantBias })
                    return Fail(DiagnosticDescriptors.InvalidProjection, biasArgument, kind, name, _owner, "has a bias argument that is "
                        + "not the constant true or false");
                bias = constantBias;
            }
            int id = NewId(invocation);
            Expr? input = inputArgument is null ? null : Convert(inputArgument.Expression);
            return input is null ? null : new LearnedOp(id, function.Op, name, input, bias);
        }

        /// <summary>Whether the method declares a local of that name anywhere (it would hide the projection's field).</summary>
        private static bool DeclaresLocal(SyntaxNode node, string name) =>
            node.FirstAncestorOrSelf<MethodDeclarationSyntax>()?.DescendantNodes().OfType<VariableDeclaratorSyntax>()
                .Any(v => v.Identifier.ValueText == name) == true;

        private static Op? BinaryOp(BinaryExpressionSyntax binary) => binary.Kind() switch
        {
            SyntaxKind.AddExpression => Op.Add,
            SyntaxKind.SubtractExpression => Op.Subtract,
            SyntaxKind.MultiplyExpression => Op.Multiply,
            SyntaxKind.DivideExpression => Op.Divide,
            _ => null,
        };

        private int NewId(SyntaxNode node)
        {
            Locations.Add(LocationInfo.From(node));
            return Locations.Count - 1;
        }

        private int NewId(SyntaxToken token)
        {
            Locations.Add(LocationInfo.From(token));
            return Locations.Count - 1;
        }

        /// <summary>C# cannot bind a name: its own error says so; remember the first for the model's PRL1014.</summary>
        private Expr? Unbound()
        {
            if (CompilerError is null)
            {
                var error = _method is null ? null : _model.GetDiagnostics(_method.Span)
                    .FirstOrDefault(d => d.Severity == DiagnosticSeverity.Error);
                CompilerError = error is null ? "a C# error" : error.Id + " (" + error.GetMessage(CultureInfo.InvariantCulture) + ")";
            }
            return null;
        }

        private Expr? Fail(DiagnosticDescriptor descriptor, SyntaxNode node, params string[] arguments)
        {
            _diagnostics.Add(DiagnosticInfo.Create(descriptor, LocationInfo.From(node), arguments));
            return null;
        }

        private void Fail(DiagnosticDescriptor descriptor, SyntaxToken token, params string[] arguments) =>
            _diagnostics.Add(DiagnosticInfo.Create(descriptor, LocationInfo.From(token), arguments));

        /// <summary>
        /// A statement as written, on one line and without its comments, for the comment above the code generated from
        /// it (so that editing a comment re-emits nothing).
        /// </summary>
        private static string SourceLine(SyntaxNode node)
        {
            var bare = node.WithoutTrivia();
            var code = bare.ReplaceTrivia(bare.DescendantTrivia(),
                (trivia, _) => trivia.IsKind(SyntaxKind.SingleLineCommentTrivia) || trivia.IsKind(SyntaxKind.MultiLineCommentTrivia)
                    ? SyntaxFactory.Space : trivia);
            return System.Text.RegularExpressions.Regex.Replace(code.ToString(), @"\s+", " ").Trim();
        }

        /// <summary>The first line of a node, shortened, for messages.</summary>
        private static string Excerpt(SyntaxNode node)
        {
            string text = node.ToString();
            int newline = text.IndexOfAny(new[] { '\r', '\n' });
            if (newline >= 0) text = text.Substring(0, newline) + " ...";
            return text.Length > 60 ? text.Substring(0, 57) + "..." : text;
        }
    }
}
