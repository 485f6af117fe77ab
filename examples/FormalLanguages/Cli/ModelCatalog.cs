using PrLstm.Experiments;
using PrLstm.FormalLanguages.Models;
using PrLstm.Experiments.Baselines;
using PrLstm.Runtime.Modules;
using PrLstm.Runtime.Schedule;
using PrLstm.Experiments.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace PrLstm.FormalLanguages.Cli;

/// <summary>The models the command line can train, by name, each wrapped with the task's readout.</summary>
public static class ModelCatalog
{
    public sealed record Entry(string Name, string Description, int DefaultLayers, Func<long, RunConfig, nn.Module<Tensor, Tensor>> Core,
        bool ReluBeforeReadout = true);

    public static readonly IReadOnlyList<Entry> All = new Entry[]
    {
        new("pr-lstm", "PR-LSTM, tree scan; --layers = refinements K (0R/1R/2R = 0/1/2; default 1)", 1,
            (inputSize, c) => new PrLstmModel(inputSize, c.Hidden, c.Layers)),
        new("pr-lstm-sequential", "PR-LSTM's own parameters applied left to right (the generated sequential baseline)", 1,
            (inputSize, c) => new SequentialView(new PrLstmModel(inputSize, c.Hidden, c.Layers))),
        new("pr-rnn", "PR-RNN, tree scan; --layers = refinements K", 1,
            (inputSize, c) => new PrRnnModel(inputSize, c.Hidden, c.Layers)),
        new("pr-gru", "GRU-composition variant (spec section 5): one GRU step with input = left, state = right; no refinements", 0,
            (inputSize, c) => c.Layers == 0 ? new PrGruModel(inputSize, c.Hidden) : throw new ArgumentException("pr-gru has no "
                + "refinements (the reference allows only num_layers = 1); use --layers 0")),
        new("pr-coupled", "PR-LSTM with coupled gates (docs/variants.md); --layers = refinements", 1,
            (inputSize, c) => new PrCoupledModel(inputSize, c.Hidden, c.Layers)),
        new("pr-peephole", "PR-LSTM whose gates also read the children's cells (docs/variants.md); --layers = refinements", 1,
            (inputSize, c) => new PrPeepholeModel(inputSize, c.Hidden, c.Layers)),
        new("pr-layernorm", "PR-LSTM with layer-normalised gates and cell (docs/variants.md); --layers = refinements", 1,
            (inputSize, c) => new PrLayerNormModel(inputSize, c.Hidden, c.Layers)),
        new("pr-minimal", "minimal gated composition, minGRU spirit (docs/variants.md); no refinements", 0,
            (inputSize, c) => c.Layers == 0 ? new PrMinimalModel(inputSize, c.Hidden) : throw new ArgumentException("pr-minimal has no "
                + "refinements; use --layers 0")),
        new("lstm", "sequential LSTM baseline (haiku's, forget bias +1)", 1,
            (inputSize, c) => new LstmBaseline(inputSize, c.Hidden)),
        new("rnn", "sequential RNN baseline (ReLU, two biases)", 1,
            (inputSize, c) => new RnnBaseline(inputSize, c.Hidden)),
        new("transformer", "Transformer encoder (d = 64, 8 heads, sin/cos positions); --layers default 2 as in the PR-LSTM runs", 2,
            (inputSize, c) => new TransformerEncoder(inputSize, c.Layers), ReluBeforeReadout: false),
    };

    public static Entry Get(string name) =>
        All.FirstOrDefault(e => e.Name == name)
        ?? throw new ArgumentException($"unknown model '{name}'; the models are: {string.Join(", ", All.Select(e => e.Name))}");

    /// <summary>
    /// Builds the task model of a run (core + readout) on <paramref name="device"/>, seeded from the run's seed. With
    /// <paramref name="recompute"/> a tree model keeps only its scan's states for the backward and recomputes the rest
    /// (<see cref="ScanOptions.RecomputeInBackward"/>); other models have nothing to recompute and refuse it.
    /// </summary>
    public static TaskModel Build(RunConfig config, Device device, bool recompute = false)
    {
        var task = PrLstm.Experiments.Tasks.FormalTasks.Get(config.Task);
        var entry = Get(config.Model);
        manual_seed((long)config.Seed);
        var core = entry.Core(task.InputSize + 1, config);
        if (recompute)
        {
            if (core is not ITreeScanModel tree)
            {
                core.Dispose();
                throw new ArgumentException($"--recompute applies to the tree models (pr-*, whose combines it recomputes); "
                    + $"'{config.Model}' has none");
            }
            tree.ScanOptions = tree.ScanOptions with { RecomputeInBackward = true };
        }
        var model = new TaskModel(core, task.OutputSize, entry.ReluBeforeReadout);
        return model.to(device);
    }

    /// <summary>Runs a generated model's sequential baseline as the model's forward.</summary>
    private sealed class SequentialView : nn.Module<Tensor, Tensor>, IPrefixModel
    {
        private readonly PrLstmModel model;

        public SequentialView(PrLstmModel model) : base(nameof(SequentialView))
        {
            this.model = model;
            RegisterComponents();
        }

        public long InputSize => model.InputSize;

        public long OutputSize => model.OutputSize;

        public override Tensor forward(Tensor x) => model.ForwardSequential(x);
    }
}
