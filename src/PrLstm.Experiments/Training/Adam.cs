using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PrLstm.Experiments.Training;

/// <summary>
/// The optimizer of the reference (spec section 3): clip_by_global_norm(max_norm) on the whole gradient, then
/// Adam with bias correction, written out so that its state is plain named tensors that checkpoints can hold.
/// Updates equal optax's: m̂ / (√v̂ + ε); clipping scales by max_norm / norm only when norm ≥ max_norm.
/// </summary>
public sealed class Adam : IDisposable
{
    private readonly (string Name, Parameter Parameter)[] _parameters;
    private readonly Dictionary<string, Tensor> _firstMoment = new(), _secondMoment = new();

    public Adam(IEnumerable<(string Name, Parameter Parameter)> parameters, double learningRate = 1e-3, double beta1 = 0.9,
        double beta2 = 0.999, double epsilon = 1e-8, double maxGradNorm = 1.0)
    {
        _parameters = parameters.Where(p => p.Parameter.requires_grad).ToArray();
        LearningRate = learningRate; Beta1 = beta1; Beta2 = beta2; Epsilon = epsilon; MaxGradNorm = maxGradNorm;
        foreach (var (name, parameter) in _parameters)
        {
            _firstMoment[name] = zeros_like(parameter).DetachFromDisposeScope();
            _secondMoment[name] = zeros_like(parameter).DetachFromDisposeScope();
        }
    }

    public double LearningRate { get; }
    public double Beta1 { get; }
    public double Beta2 { get; }
    public double Epsilon { get; }
    public double MaxGradNorm { get; }

    /// <summary>Updates applied so far.</summary>
    public long Step { get; private set; }

    /// <summary>
    /// Clips the gradients by their global norm, applies one Adam update, and returns the norm before clipping. A
    /// non-finite norm throws <see cref="ArithmeticException"/> before anything changes.
    /// </summary>
    public double Update()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var gradients = _parameters.Select(p => p.Parameter.grad ?? zeros_like(p.Parameter)).ToArray();
        double norm = Math.Sqrt(gradients.Sum(g => g.square().sum().ToDouble()));
        if (!double.IsFinite(norm))
            throw new ArithmeticException($"the gradient's norm is {norm}; no parameter was changed");
        double scale = norm < MaxGradNorm ? 1.0 : MaxGradNorm / norm;
        Step++;
        double correction1 = 1 - Math.Pow(Beta1, Step), correction2 = 1 - Math.Pow(Beta2, Step);
        for (int i = 0; i < _parameters.Length; i++)
        {
            var (name, parameter) = _parameters[i];
            var g = gradients[i] * scale;
            _firstMoment[name].mul_(Beta1).add_(g, alpha: 1 - Beta1);
            _secondMoment[name].mul_(Beta2).addcmul_(g, g, value: 1 - Beta2);
            var denominator = (_secondMoment[name] / correction2).sqrt_().add_(Epsilon);
            parameter.addcdiv_(_firstMoment[name], denominator, value: -LearningRate / correction1);
        }
        return norm;
    }

    /// <summary>The state as named tensors (<c>adam.m.{name}</c>, <c>adam.v.{name}</c>) plus the step count.</summary>
    public IEnumerable<KeyValuePair<string, Tensor>> StateTensors() =>
        _parameters.SelectMany(p => new[]
        {
            KeyValuePair.Create(MomentNames(p.Name).First, _firstMoment[p.Name]),
            KeyValuePair.Create(MomentNames(p.Name).Second, _secondMoment[p.Name]),
        });

    /// <summary>The prefix of every name in <see cref="StateTensors"/>.</summary>
    public const string StatePrefix = "adam.";

    /// <summary>The names of a parameter's first and second moments in <see cref="StateTensors"/>.</summary>
    private static (string First, string Second) MomentNames(string parameter)
        => (StatePrefix + "m." + parameter, StatePrefix + "v." + parameter);

    /// <summary>The names, dtypes and shapes that <see cref="StateTensors"/> has for an optimizer over these parameters, without allocating
    /// any.</summary>
    public static IReadOnlyDictionary<string,
        (ScalarType DType, long[] Shape)> ExpectedState(IEnumerable<(string Name, Parameter Parameter)> parameters) =>
        parameters.Where(p => p.Parameter.requires_grad)
            .SelectMany(p => new[] { MomentNames(p.Name).First, MomentNames(p.Name)
                .Second }.Select(name => (name, p.Parameter.dtype, p.Parameter.shape)))
            .ToDictionary(e => e.name, e => (e.dtype, e.shape));

    /// <summary>Restores state written by <see cref="StateTensors"/>; throws if a tensor is missing or mis-shaped.</summary>
    public void Restore(IReadOnlyDictionary<string, Tensor> tensors, long step)
    {
        using var noGrad = no_grad();
        foreach (var (name, _) in _parameters)
        {
            foreach (var (key, target) in new[] { (MomentNames(name).First, _firstMoment[name]),
                (MomentNames(name).Second, _secondMoment[name]) })
            {
                if (!tensors.TryGetValue(key, out var stored) || !stored.shape.SequenceEqual(target.shape))
                    throw new InvalidDataException($"the checkpoint's optimizer state lacks '{key}' with shape "
                        + $"[{string.Join(", ", target.shape)}]");
                target.copy_(stored);
            }
        }
        Step = step;
    }

    public void Dispose()
    {
        foreach (var t in _firstMoment.Values.Concat(_secondMoment.Values)) t.Dispose();
    }
}
