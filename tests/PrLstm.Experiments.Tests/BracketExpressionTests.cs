using PrLstm.Experiments.Tasks;

namespace PrLstm.Experiments.Tests;

/// <summary>The evaluator of modular_arithmetic_brackets and solve_equation strings: hand-worked values, errors, and depth.</summary>
public class BracketExpressionTests
{
    [Theory]
    [InlineData("3", 3)]
    [InlineData("-3", 2)]
    [InlineData("--3", 3)]
    [InlineData("(4)", 4)]
    [InlineData("(3+4)", 2)]
    [InlineData("(1-4)", 2)]
    [InlineData("(3*4)", 2)]
    [InlineData("-(2*(3+-4))", 2)]      // 3 + (-4) = -1 ≡ 4; 2 * 4 = 8 ≡ 3; -3 ≡ 2
    [InlineData("((1+2)*(3-(-4)))", 1)] // 3 * 7 = 21 = 1
    [InlineData("(((4)))", 4)]
    public void EvaluatesHandWorkedExamples(string text, int expected) =>
        Assert.Equal(expected, BracketExpressions.Evaluate(text));

    [Fact]
    public void TheUnknownTakesItsValue()
    {
        Assert.Equal(3, BracketExpressions.Evaluate("(x+1)", 2));
        Assert.Throws<FormatException>(() => BracketExpressions.Evaluate("(x+1)"));
    }

    [Theory]
    [InlineData("", "ends too early")]
    [InlineData("(3+", "ends too early")]
    [InlineData("(3", "an operator or ')' is missing at position 3")]
    [InlineData("(3+4", "')' is missing at position 5")]
    [InlineData("3)", "unexpected ')' at position 2")]
    [InlineData("(5)", "unexpected '5' at position 2")]
    [InlineData("(3/4)", "an operator or ')' is missing at position 3")]
    public void MalformedStringsNameTheProblem(string text, string message) =>
        Assert.Contains(message, Assert.Throws<FormatException>(() => BracketExpressions.Evaluate(text)).Message);

    [Fact]
    public void AMillionNestedConstructsNeitherRecurseNorOverflow()
    {
        const int depth = 1_000_000;
        // -(-(...-(1)...)): depth minus signs alternate the sign of 1.
        Assert.Equal(1, BracketExpressions.Evaluate(new string('-', depth) + "1"));          // even count
        Assert.Equal(4, BracketExpressions.Evaluate(new string('-', depth + 1) + "1"));      // odd count
        Assert.Equal(3, BracketExpressions.Evaluate(new string('(', depth) + "3" + new string(')', depth)));
        // (((1+1)+1)+1)...: depth additions of 1 to 1.
        string sums = new string('(', depth) + "1" + string.Concat(Enumerable.Repeat("+1)", depth));
        Assert.Equal((1 + depth) % 5, BracketExpressions.Evaluate(sums));
        // (1+(1+(1+...))): the right-nested form keeps every operator open at once.
        string right = string.Concat(Enumerable.Repeat("(1+", depth)) + "1" + new string(')', depth);
        Assert.Equal((1 + depth) % 5, BracketExpressions.Evaluate(right));
        Assert.Contains("')' is missing", Assert.Throws<FormatException>(() => BracketExpressions.Evaluate(right[..^1])).Message);
    }
}
