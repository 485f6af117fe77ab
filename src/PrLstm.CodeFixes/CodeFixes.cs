using System;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using PrLstm.Generators.Diagnostics;

namespace PrLstm.CodeFixes
{
    /// <summary>PRL0001: adds the missing <c>partial</c> to a declaration.</summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(MakePartialCodeFix)), Shared]
    public sealed class MakePartialCodeFix : CodeFixProvider
    {
        public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(DiagnosticDescriptors.NotPartialId);

        public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
            var declaration = root?.FindToken(context.Span.Start).Parent?.AncestorsAndSelf().OfType<TypeDeclarationSyntax>()
                .FirstOrDefault();
            if (root is null || declaration is null) return;
            context.RegisterCodeFix(
                CodeAction.Create($"Make '{declaration.Identifier.ValueText}' partial", _ =>
                {
                    // 'partial' must stand right before the type keyword: append it after the other modifiers.
                    var partial = SyntaxFactory.Token(SyntaxKind.PartialKeyword).WithTrailingTrivia(SyntaxFactory.Space);
                    TypeDeclarationSyntax fixedDeclaration = declaration.Modifiers.Count == 0
                        ? declaration.WithKeyword(declaration.Keyword.WithLeadingTrivia())
                            .WithModifiers(SyntaxFactory.TokenList(partial.WithLeadingTrivia(declaration.Keyword.LeadingTrivia)))
                        : declaration.AddModifiers(partial);
                    return Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(declaration, fixedDeclaration)));
                }, equivalenceKey: nameof(MakePartialCodeFix)),
                context.Diagnostics);
        }
    }

    /// <summary>PRL1004: removes a gate that the body never uses (its rows of the projection go with it).</summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(RemoveUnusedGateCodeFix)), Shared]
    public sealed class RemoveUnusedGateCodeFix : CodeFixProvider
    {
        public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(DiagnosticDescriptors.UnusedGateId);

        public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
            var parameter = root?.FindToken(context.Span.Start).Parent?.AncestorsAndSelf().OfType<ParameterSyntax>().FirstOrDefault();
            if (root is null || parameter is null) return;
            context.RegisterCodeFix(
                CodeAction.Create($"Remove the unused gate '{parameter.Identifier.ValueText}'",
                    _ => Task.FromResult(context.Document.WithSyntaxRoot(root.RemoveNode(parameter, SyntaxRemoveOptions.KeepNoTrivia)!)),
                    equivalenceKey: nameof(RemoveUnusedGateCodeFix)),
                context.Diagnostics);
        }
    }

    /// <summary>
    /// CS0103 on a call whose name is a near miss of a PrLstm.Dsl.Ops function (<c>Sigmod</c>, <c>tanh</c>, <c>ReLU</c>):
    /// replaces it with that function.
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(UseOpsFunctionCodeFix)), Shared]
    public sealed class UseOpsFunctionCodeFix : CodeFixProvider
    {
        internal static readonly string[] Functions = PrLstm.Generators.Tables.DslFunctions.All.Select(f => f.Name).ToArray();

        public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create("CS0103");

        public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
            if (root?.FindNode(context.Span, getInnermostNodeForTie: true) is not IdentifierNameSyntax name
                || name.Parent is not InvocationExpressionSyntax) return;
            string? match = Closest(name.Identifier.ValueText);
            if (match is null) return;
            context.RegisterCodeFix(
                CodeAction.Create($"Use Ops.{match}",
                    _ => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(name, SyntaxFactory.IdentifierName(match)
                        .WithTriviaFrom(name)))),
                    equivalenceKey: nameof(UseOpsFunctionCodeFix) + match),
                context.Diagnostics);
        }

        /// <summary>The Ops function within two edits of <paramref name="name"/> (ignoring case), if exactly one is nearest.</summary>
        internal static string? Closest(string name)
        {
            var ranked = Functions.Select(f => (Function: f, Distance: Distance(name.ToLowerInvariant(), f.ToLowerInvariant())))
                .OrderBy(r => r.Distance).ToList();
            return ranked[0].Distance <= 2 && (ranked.Count == 1 || ranked[1].Distance > ranked[0].Distance) ? ranked[0].Function : null;
        }

        private static int Distance(string a, string b)
        {
            var d = new int[a.Length + 1, b.Length + 1];
            for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
            for (int j = 0; j <= b.Length; j++) d[0, j] = j;
            for (int i = 1; i <= a.Length; i++)
                for (int j = 1; j <= b.Length; j++)
                    d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            return d[a.Length, b.Length];
        }
    }
}
