// prlstm: the PR-LSTM paper's formal-language experiments from the command line (see docs/experiments.md).
using System.CommandLine;
using System.Runtime.InteropServices;
using System.Text.Json;
using PrLstm.FormalLanguages.Cli;
using PrLstm.Runtime;
using PrLstm.Experiments.Tasks;
using PrLstm.Experiments.Training;
using static TorchSharp.torch;

return Cli.Run(args);

namespace PrLstm.FormalLanguages.Cli
{
    public static class Cli
    {
        private const int UserError = 1, Interrupted = 130, InternalError = 70;

        private static Option<int?>? _threads;

        /// <summary>The range of each numeric option, checked by <see cref="Apply"/> before any work (see <see cref="InRange"/>).</summary>
        private static readonly Dictionary<Option, (Func<double, bool> Holds, string Rule)> Ranges = new();

        /// <summary>Gives a numeric option its range; a value outside it is refused with a message naming the option.</summary>
        private static Option<T> InRange<T>(Option<T> option, double min, double max, string? rule = null)
        {
            Ranges[option] = (v => v >= min && v <= max, rule ?? $"between {min:0.###} and {max:0.###}");
            return option;
        }

        /// <summary>Checks every option's range, then applies the global options; every verb calls it first.</summary>
        private static void Apply(ParseResult p)
        {
            foreach (var (option, (holds, rule)) in Ranges)
            {
                if (p.GetResult(option) is not { } result) continue;
                object? value = result.GetValueOrDefault<object?>();
                if (value is null) continue;
                double number = Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture);
                if (!holds(number)) throw new ArgumentException($"{option.Name} must be {rule}, not {value}");
            }
            if (_threads is not null && p.GetValue(_threads) is int n) set_num_threads(n);
        }

        public static int Run(string[] args)
        {
            using var cancellation = new CancellationTokenSource();
            // A run started by `sweep --local` shares the terminal's process group: Ctrl-C reaches it directly and its
            // parent then sends SIGTERM. It leaves Ctrl-C to the parent, so that one stop request is not taken for two.
            bool parentHandlesCtrlC = Environment.GetEnvironmentVariable(Sweeps.ParentHandlesCtrlC) == "1";
            ConsoleCancelEventHandler onCancel = (_, e) =>
            {
                if (parentHandlesCtrlC) { e.Cancel = true; return; }
                if (cancellation.IsCancellationRequested) return; // a second Ctrl-C ends the process at once
                e.Cancel = true;
                Console.Error.WriteLine("prlstm: stopping after the current step and saving a checkpoint (Ctrl-C again to abort)");
                cancellation.Cancel();
            };
            Console.CancelKeyPress += onCancel;
            // Batch schedulers, `timeout`, container stops and closed terminals send SIGTERM or SIGHUP: treat them as
            // Ctrl-C (save and stop); a second signal ends the process at once.
            Action<PosixSignalContext> onSignal = context =>
            {
                if (cancellation.IsCancellationRequested) return;
                context.Cancel = true;
                Console.Error.WriteLine($"prlstm: {context.Signal} received: stopping after the current step and saving a checkpoint");
                cancellation.Cancel();
            };
            using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, onSignal);
            using var onHangUp = PosixSignalRegistration.Create(PosixSignal.SIGHUP, onSignal);
            try
            {
                var root = Build(cancellation.Token);
                return root.Parse(args)
                    .Invoke(new InvocationConfiguration { ProcessTerminationTimeout = null, EnableDefaultExceptionHandler = false });
            }
            catch (OperationCanceledException)
            {
                Console.Error.WriteLine("prlstm: interrupted during evaluation; no result was written (the checkpoint is kept: run the "
                    + "command again to score it)");
                return Interrupted;
            }
            catch (TrainingDivergedException e)
            {
                Console.Error.WriteLine("prlstm: " + e.Message);
                return UserError;
            }
            catch (Exception e) when (PrLstm.Experiments.OutOfMemory.Is(e))
            {
                Console.Error.WriteLine($"prlstm: {PrLstm.Experiments.OutOfMemory.Describe(e)}; try a smaller --batch-size, "
                    + $"--eval-batch-size, --hidden or fewer --threads");
                return UserError;
            }
            catch (Exception e) when (e is ArgumentException or FormatException or FileNotFoundException or DirectoryNotFoundException
                or InvalidDataException or InvalidOperationException or IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine("prlstm: " + e.Message.ReplaceLineEndings(" "));
                return UserError;
            }
            catch (Exception e)
            {
                Console.Error.WriteLine($"prlstm: internal error ({e.GetType().Name}): {e.Message.ReplaceLineEndings(" ")}");
                return InternalError;
            }
            finally
            {
                Console.CancelKeyPress -= onCancel;
            }
        }

        private static Option<T> Opt<T>(string name, string description, T? defaultValue = default, bool required = false)
        {
            var option = new Option<T>(name) { Description = description, Required = required };
            if (!required && defaultValue is not null) option.DefaultValueFactory = _ => defaultValue;
            return option;
        }

        private static RootCommand Build(CancellationToken cancellation)
        {
            var root = new RootCommand("PrLstm: parallel recursive LSTMs on the formal-language tasks of \"Neural Networks and the "
                + "Chomsky Hierarchy\".");
            // libtorch's CPU threads spin while they wait: two jobs with a thread per core each run far slower than
            // one job (measured: 2 steps/s instead of 1200 for a small LSTM), so let users say how many to use.
            var threads = new Option<int?>("--threads")
            {
                Description = "CPU threads for tensor operations (default: libtorch's choice, "
                + "one per core); use 1 per job when running several at once",
                Recursive = true
            };
            // More threads than CPUs only slows libtorch down (its threads spin), and 100,000 of them hang the machine.
            InRange(threads, 1, Environment.ProcessorCount);
            root.Add(threads);
            root.SetAction(_ => 0);
            _threads = threads;
            root.Add(TrainCommand(cancellation));
            root.Add(EvalCommand(cancellation));
            root.Add(PredictCommand(cancellation));
            root.Add(SampleCommand());
            root.Add(CompareCommand(cancellation));
            root.Add(DemoCommand(cancellation));
            root.Add(SweepCommand(cancellation));
            root.Add(RunCommand(cancellation));
            root.Add(CollectCommand());
            root.Add(BenchCommand());
            return root;
        }

        // Options shared by train and compare.
        private sealed class TrainingOptions
        {
            public readonly Option<long> Steps = InRange(Opt<long>("--steps", "training updates (the paper: 1000001)", 1_000_001), 0,
                RunLimits.MaxSteps);
            public readonly Option<int> Hidden = InRange(Opt<int>("--hidden", "state size H (the paper: 256; parameter-matched: 137)",
                256), 1, RunLimits.MaxHidden);
            public readonly Option<int?> Layers = InRange(Opt<int?>("--layers", "refinements K of pr-* models (default 1), layers of the "
                + "transformer (default 2)"), 0, RunLimits.MaxLayers);
            public readonly Option<ulong> Seed = Opt<ulong>("--seed", "seed of sampling and initialisation", 0UL);
            public readonly Option<int> BatchSize = InRange(Opt<int>("--batch-size", "sequences per training batch", 128), 1,
                RunLimits.MaxBatchSize);
            public readonly Option<int> MaxLength = InRange(Opt<int>("--train-length", "train on lengths 1..N", 40), 1,
                RunLimits.MaxLength);
            public readonly Option<double> LearningRate = InRange(Opt<double>("--lr", "Adam learning rate", 1e-3), double.Epsilon,
                RunLimits.MaxLearningRate, $"above 0 and at most {RunLimits.MaxLearningRate}");
            public readonly Option<int> LogEvery = InRange(Opt<int>("--log-every", "average and report the training metrics every N steps",
                100), 1, int.MaxValue);
            public readonly Option<int> CheckpointEvery = InRange(Opt<int>("--checkpoint-every", "save a checkpoint every N steps", 1000),
                1, int.MaxValue);
            public readonly Option<string> EvalLengths = Opt<string>("--eval-lengths", "test lengths after training, e.g. 41-500, "
                + "41-500:10, 41,100 or none", "41-500");
            public readonly Option<int> EvalBatches = InRange(Opt<int>("--eval-batches", "sub-batches per test length", 8), 1,
                RunLimits.MaxEvalBatches);
            public readonly Option<int> EvalBatchSize = InRange(Opt<int>("--eval-batch-size", "sequences per sub-batch", 64), 1,
                RunLimits.MaxBatchSize);
            public readonly Option<string> Device = Opt<string>("--device", "auto, cpu, cuda, cuda:N or mps", "auto");

            public void AddTo(Command command)
            {
                foreach (Option option in new Option[] { Steps, Hidden, Layers, Seed, BatchSize, MaxLength, LearningRate, LogEvery,
                    CheckpointEvery, EvalLengths, EvalBatches, EvalBatchSize, Device })
                    command.Add(option);
            }

            public RunConfig Config(ParseResult p, string task, string model)
            {
                FormalTasks.Get(task);
                var entry = ModelCatalog.Get(model);
                int hidden = p.GetValue(Hidden), layers = p.GetValue(Layers) ?? entry.DefaultLayers;
                if (layers < 1 && model == "transformer") throw new ArgumentException($"--layers {layers} is not valid for {model}");
                return new RunConfig
                {
                    Task = task,
                    Model = model,
                    Hidden = hidden,
                    Layers = layers,
                    Steps = p.GetValue(Steps),
                    Seed = p.GetValue(Seed),
                    BatchSize = p.GetValue(BatchSize),
                    MaxTrainLength = p.GetValue(MaxLength),
                    LearningRate = p.GetValue(LearningRate),
                    LogEvery = p.GetValue(LogEvery),
                    CheckpointEvery = p.GetValue(CheckpointEvery),
                };
            }

            /// <summary>Whether the user set the option behind a <see cref="RunConfig"/> field (rather than taking its default).</summary>
            public Func<string, bool> Given(ParseResult p, Option task, Option model) => field => field switch
            {
                nameof(RunConfig.Task) => IsGiven(p, task),
                nameof(RunConfig.Model) => IsGiven(p, model),
                nameof(RunConfig.Hidden) => IsGiven(p, Hidden),
                nameof(RunConfig.Layers) => IsGiven(p, Layers),
                nameof(RunConfig.Steps) => IsGiven(p, Steps),
                nameof(RunConfig.Seed) => IsGiven(p, Seed),
                nameof(RunConfig.BatchSize) => IsGiven(p, BatchSize),
                nameof(RunConfig.MaxTrainLength) => IsGiven(p, MaxLength),
                nameof(RunConfig.LearningRate) => IsGiven(p, LearningRate),
                nameof(RunConfig.LogEvery) => IsGiven(p, LogEvery),
                nameof(RunConfig.CheckpointEvery) => IsGiven(p, CheckpointEvery),
                _ => false,
            };

            private static bool IsGiven(ParseResult p, Option option) => p.GetResult(option) is { Implicit: false };

            public Runs.EvalSettings Eval(ParseResult p)
            {
                string lengths = p.GetValue(EvalLengths)!;
                return new Runs.EvalSettings(lengths == "none" ? null : Lengths.Parse(lengths), p.GetValue(EvalBatches),
                    p.GetValue(EvalBatchSize));
            }
        }

        private static Command TrainCommand(CancellationToken cancellation)
        {
            var command = new Command("train", "Train one model on one task, save checkpoints, then score it on longer inputs.");
            var task = Opt<string>("--task", "task name (see 'prlstm sample --help' for the list)", required: true);
            var model = Opt<string>("--model", "model: " + string.Join(", ", ModelCatalog.All.Select(m => m.Name)), "pr-lstm");
            var output = Opt<string>("--out", "folder for checkpoints and results (default runs/<task>-<model>)");
            var resume = Opt<bool>("--resume", "continue the checkpoint in --out (--steps may be raised)");
            var recompute = Opt<bool>("--recompute", "pr-* tree models: keep only the scan's states and recompute every combine in "
                + "the backward (ScanOptions.RecomputeInBackward): less memory, about 1.3x the step time, the same numbers to float "
                + "rounding; a setting of this process, not of the run (a resume may add or drop it)");
            var options = new TrainingOptions();
            foreach (Option option in new Option[] { task, model, output, resume, recompute }) command.Add(option);
            options.AddTo(command);
            command.SetAction(p =>
            {
                Apply(p);
                var config = options.Config(p, p.GetValue(task)!, p.GetValue(model)!);
                string folder = p.GetValue(output) ?? Path.Combine("runs", $"{config.Task}-{config.Model}");
                var device = Devices.Pick(p.GetValue(options.Device));
                var eval = options.Eval(p);
                using var folderLock = RunFolderLock.Acquire(folder);
                var result = Runs.TrainAndEvaluate(config, folder, p.GetValue(resume), eval, device, cancellation,
                    given: options.Given(p, task, model), recompute: p.GetValue(recompute));
                if (result is null) return Interrupted;
                Report(folder, new[] { result }, $"{config.Model} on {config.Task}");
                return 0;
            });
            return command;
        }

        private static Command EvalCommand(CancellationToken cancellation)
        {
            var command = new Command("eval", "Score a checkpoint: accuracy at each test length and the network score.");
            var checkpoint = Opt<string>("--checkpoint", "folder holding checkpoint.json", required: true);
            var lengths = Opt<string>("--lengths", "test lengths, e.g. 41-500, 41-500:10, 41,100", "41-500");
            var batches = InRange(Opt<int>("--batches", "sub-batches per length", 8), 1, RunLimits.MaxEvalBatches);
            var batchSize = InRange(Opt<int>("--batch-size", "sequences per sub-batch", 64), 1, RunLimits.MaxBatchSize);
            var output = Opt<string>("--out", "folder for results (default: the checkpoint folder)");
            var device = Opt<string>("--device", "auto, cpu, cuda, cuda:N or mps", "auto");
            foreach (Option option in new Option[] { checkpoint, lengths, batches, batchSize, output, device }) command.Add(option);
            command.SetAction(p =>
            {
                Apply(p);
                string folder = p.GetValue(checkpoint)!;
                var eval = new Runs.EvalSettings(Lengths.Parse(p.GetValue(lengths)!), p.GetValue(batches), p.GetValue(batchSize));
                var computeDevice = Devices.Pick(p.GetValue(device));
                var (config, model, state) = Load(folder, computeDevice);
                using (model)
                {
                    // Results go to the output folder (by default the run's own): lock it before scoring, so that a
                    // folder that cannot be written or is being written is refused before the work, not after.
                    using var folderLock = RunFolderLock.Acquire(p.GetValue(output) ?? folder);
                    var result = Runs.Score(config, model, Runs.ParameterCount(model), state.History, state.TrainingSeconds, eval,
                        computeDevice, cancellation, $"{config.Model} on {config.Task}");
                    foreach (var l in result.Lengths) Console.WriteLine($"{l.Length}\t{l.Accuracy:F4}");
                    Report(p.GetValue(output) ?? folder, new[] { result }, $"{config.Model} on {config.Task}");
                }
                return 0;
            });
            return command;
        }

        private static Command PredictCommand(CancellationToken cancellation)
        {
            var command = new Command("predict", "Run a trained model on one input written in the task's alphabet, or (--stream) on "
                + "symbols read from standard input as they arrive, answering after each one.");
            var checkpoint = Opt<string>("--checkpoint", "folder holding checkpoint.json", required: true);
            var input = Opt<string>("--input", "the input, e.g. 0110 for parity_check");
            var stream = Opt<bool>("--stream", "read symbols from standard input as they arrive (whitespace is skipped) and print the "
                + "answer for the input so far after each one");
            var session = Opt<string>("--session", "with --stream: continue the stream saved in this file if it exists, and save it there "
                + "when the input ends or on Ctrl-C");
            var json = Opt<bool>("--json", "print JSON with the logits (with --stream, one object per line)");
            foreach (Option option in new Option[] { checkpoint, input, stream, session, json }) command.Add(option);
            command.SetAction(p =>
            {
                Apply(p);
                bool streaming = p.GetValue(stream);
                string? text = p.GetValue(input);
                if (streaming == (text is not null)) throw new ArgumentException("give either --input or --stream");
                if (p.GetValue(session) is not null && !streaming) throw new ArgumentException("--session goes with --stream");
                var (config, model, _) = Load(p.GetValue(checkpoint)!, CPU);
                using (model)
                {
                    var task = FormalTasks.Get(config.Task);
                    model.eval();
                    if (streaming) return StreamPredictions.Run(model, config, task, p.GetValue(session), p.GetValue(json), cancellation);
                    if (text!.Length == 0) throw new ArgumentException("--input is empty; inputs have at least one symbol");
                    int[] tokens = task.Parse(text);
                    int[]? expected = null;
                    try { expected = task.TargetFor(tokens); } catch (FormatException) { }
                    var sample = new TaskSample(tokens, expected ?? new int[task.OutputLength(tokens.Length)]);
                    using var scope = NewDisposeScope();
                    using var noGrad = no_grad();
                    using var batch = TaskBatch.FromSamples(task, new[] { sample });
                    var logits = batch.OutputLogits(model.forward(batch.Input))[0]; // [L, C]
                    int[] answer = logits.argmax(1).data<long>().Select(v => (int)v).ToArray();
                    if (p.GetValue(json))
                    {
                        Console.WriteLine(JsonSerializer.Serialize(new
                        {
                            task = task.Name,
                            input = tokens,
                            answer,
                            expected,
                            logits = StreamPredictions.Rows(logits)
                        }, StreamPredictions.Json));
                    }
                    else
                    {
                        Console.WriteLine($"answer:   {StreamPredictions.Symbols(task, answer)}");
                        if (expected is not null) Console.WriteLine($"expected: "
                            + $"{StreamPredictions.Symbols(task, expected)}{(expected.SequenceEqual(answer) ? "  (correct)" : "")}");
                    }
                }
                return 0;
            });
            return command;
        }

        private static Command SampleCommand()
        {
            var command = new Command("sample", "Print sequences of a task. Tasks: "
                + string.Join(", ", FormalTasks.All.Select(t => t.Name)) + ".");
            var task = Opt<string>("--task", "task name", required: true);
            var length = InRange(Opt<int>("--length", "input length n (at least 1)", 10), 1, RunLimits.MaxLength);
            var count = InRange(Opt<int>("--count", "how many sequences", 5), 0, 10_000_000);
            var seed = Opt<ulong>("--seed", "sampling seed", 0UL);
            var json = Opt<bool>("--json", "one JSON object per line: task, length, input, target, mask");
            foreach (Option option in new Option[] { task, length, count, seed, json }) command.Add(option);
            command.SetAction(p =>
            {
                Apply(p);
                var formal = FormalTasks.Get(p.GetValue(task)!);
                int n = p.GetValue(length), k = p.GetValue(count);
                if (k == 0) return 0;
                foreach (var s in formal.SampleBatch(new TaskRandom(p.GetValue(seed)), k, n))
                {
                    var mask = formal.Mask(s.Target).Select(m => (int)m).ToArray();
                    if (p.GetValue(json))
                        Console.WriteLine(JsonSerializer.Serialize(new
                        {
                            task = formal.Name,
                            length = n,
                            input = s.Input,
                            target = s.Target,
                            mask
                        }));
                    else
                        Console.WriteLine($"{new string(s.Input.Select(t => formal.Alphabet[t]).ToArray())} -> "
                            + $"{new string(s.Target.Select(c => formal.OutputAlphabet[c]).ToArray())}");
                }
                return 0;
            });
            return command;
        }

        private static Command CompareCommand(CancellationToken cancellation)
        {
            var command = new Command("compare", "Train and score several models on several tasks; writes one results table and plots. "
                + "Finished runs are kept and unfinished ones resumed when run again.");
            var tasks = Opt<string>("--tasks", "comma-separated task names, or all", "all");
            var models = Opt<string>("--models", "comma-separated model names", "pr-lstm,lstm,rnn,transformer");
            var output = Opt<string>("--out", "folder for runs and results", "runs/compare");
            var options = new TrainingOptions();
            foreach (Option option in new Option[] { tasks, models, output }) command.Add(option);
            options.AddTo(command);
            command.SetAction(p =>
            {
                Apply(p);
                var (taskNames, modelNames) = TasksAndModels(p, tasks, models);
                // validates every name first
                var configs = taskNames.SelectMany(t => modelNames.Select(m => options.Config(p, t, m))).ToList();
                return Compare(p.GetValue(output)!, configs, options.Eval(p), Devices.Pick(p.GetValue(options.Device)), cancellation,
                    "prlstm compare");
            });
            return command;
        }

        /// <summary>The --tasks ("all" or a list) and --models lists of compare and sweep; an empty list is an error naming the
        /// option.</summary>
        private static (List<string> Tasks, List<string> Models) TasksAndModels(ParseResult p, Option<string> tasks, Option<string> models)
        {
            var taskNames = p.GetValue(tasks) == "all" ? FormalTasks.All.Select(t => t.Name).ToList()
                : p.GetValue(tasks)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToList();
            var modelNames = p.GetValue(models)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                .ToList();
            if (taskNames.Count == 0) throw new ArgumentException($"--tasks '{p.GetValue(tasks)}' names no task; give comma-separated "
                + $"task names, or all");
            if (modelNames.Count == 0) throw new ArgumentException($"--models '{p.GetValue(models)}' names no model; give "
                + $"comma-separated model names");
            return (taskNames, modelNames);
        }

        private static Command DemoCommand(CancellationToken cancellation)
        {
            var command = new Command("demo", "The main job on a small default: train PR-LSTM and the LSTM baseline (H = 64) on "
                + "bucket_sort with lengths 1..40, score both on lengths up to 500, print the table and write the plots (about 1.5 "
                    + "minutes on 2 CPU cores). Both sort inputs of the trained lengths; beyond them the LSTM falls to about 25% while "
                        + "PR-LSTM stays above 90%.");
            var output = Opt<string>("--out", "folder for runs and results", "runs/demo");
            var steps = InRange(Opt<long>("--steps", "training updates per model", 2000), 0, RunLimits.MaxSteps);
            var seed = Opt<ulong>("--seed",
                "seed of sampling and initialisation (measured: seeds 0, 1, 2 all show the gap; see the README)", 0UL);
            command.Add(output);
            command.Add(steps);
            command.Add(seed);
            command.SetAction(p =>
            {
                Apply(p);
                // bucket_sort is where the paper's point shows at this budget: both models learn the trained lengths,
                // only PR-LSTM keeps sorting beyond them (parity_check, the earlier demo, is solved by both).
                var configs = new[] { "pr-lstm", "lstm" }.Select(model => new RunConfig
                {
                    Task = DemoTask,
                    Model = model,
                    Hidden = 64,
                    Layers = 1,
                    Steps = p.GetValue(steps),
                    BatchSize = 64,
                    Seed = p.GetValue(seed),
                    LogEvery = 50,
                    CheckpointEvery = 500,
                    LearningRate = 3e-3,
                }).ToList();
                // A few trained lengths for reference, then every 20th length up to 500 (the paper's test range).
                var eval = new Runs.EvalSettings(Lengths.Parse("1-40:13,41-500:20"), Batches: 2, BatchSize: 64);
                return Compare(p.GetValue(output)!, configs, eval, Devices.Pick("auto"), cancellation, $"prlstm demo: {DemoTask}, "
                    + $"trained on lengths 1..40");
            });
            return command;
        }

        private const string DemoTask = "bucket_sort";

        private static Command SweepCommand(CancellationToken cancellation)
        {
            var command = new Command("sweep", "Write a grid of runs (tasks x models x seeds x learning rates) as a manifest and a Slurm "
                + "job-array script (one array task per run, requeued after preemption or a time limit with its checkpoint), and submit "
                    + "it (--submit) or run it here (--local N). See docs/sweeps.md.");
            var tasks = Opt<string>("--tasks", "comma-separated task names, or all", "all");
            var models = Opt<string>("--models", "comma-separated model names", "pr-lstm,lstm,rnn,transformer");
            var seeds = Opt<string>("--seeds", "seeds, e.g. 0-9 or 0,3,7", "0");
            var lrs = Opt<string>("--lrs", "learning rates, e.g. 1e-4,3e-4,5e-4 (NNCH's grid)", "1e-3");
            var output = Opt<string>("--out", "the sweep folder: manifest, script, logs, runs/<task>/<model>/seed<S>-lr<LR>", "runs/sweep");
            var partition = Opt<string>("--partition", "Slurm partition");
            var time = Opt<string>("--time", "Slurm time limit per run, e.g. 24:00:00 (a run that reaches it is requeued and resumes)");
            var cpus = InRange(Opt<int>("--cpus", "CPUs per run (libtorch threads)", 1), 1, 1024);
            var mem = Opt<string>("--mem", "Slurm memory per run, e.g. 8G");
            var gpus = Opt<string>("--gpus", "Slurm GPUs per run, e.g. 1 (with --device cuda)");
            var account = Opt<string>("--account", "Slurm account");
            var extra = new Option<string[]>("--sbatch-arg")
            {
                Description = "an extra #SBATCH line, e.g. --sbatch-arg=--qos=long "
                + "(repeatable)",
                AllowMultipleArgumentsPerToken = false
            };
            var maxParallel = InRange(Opt<int?>("--max-parallel", "at most this many array tasks at once (%N)"), 1, 100_000);
            var signal = Opt<string>("--signal", "the signal Slurm sends before the time limit", "B:TERM@120");
            var submit = Opt<bool>("--submit", "submit the script with sbatch and print the job id");
            var local = InRange(Opt<int?>("--local", "run the manifest here instead, N runs at a time (one libtorch thread each)"), 1,
                1024);
            var options = new TrainingOptions();
            foreach (Option option in new Option[] { tasks, models, seeds, lrs, output, partition, time, cpus, mem, gpus, account, extra,
                maxParallel, signal, submit, local }) command.Add(option);
            options.AddTo(command);
            command.SetAction(p =>
            {
                Apply(p);
                if (p.GetValue(submit) && p.GetValue(local) is not null) throw new ArgumentException("give --submit or --local, not both");
                var (taskNames, modelNames) = TasksAndModels(p, tasks, models);
                var seedList = Sweeps.ParseSeeds(p.GetValue(seeds)!);
                var lrList = Sweeps.ParseLearningRates(p.GetValue(lrs)!);
                string evalLengths = p.GetValue(options.EvalLengths)!;
                options.Eval(p); // validates the lengths now
                var configs = taskNames.SelectMany(t => modelNames.SelectMany(m => lrList.SelectMany(lr => seedList.Select(seed =>
                    options.Config(p, t, m) with { LearningRate = lr, Seed = seed })))).ToList();
                var entries = Sweeps.Grid(configs, evalLengths, p.GetValue(options.EvalBatches), p.GetValue(options.EvalBatchSize),
                    p.GetValue(options.Device)!);
                string folder = p.GetValue(output)!;
                using var folderLock = RunFolderLock.Acquire(folder);
                var slurm = new SlurmOptions(p.GetValue(partition), p.GetValue(time), p.GetValue(cpus), p.GetValue(mem), p.GetValue(gpus),
                    p.GetValue(account),
                    p.GetValue(maxParallel), p.GetValue(signal)!, p.GetValue(extra) ?? Array.Empty<string>());
                var (manifest, script) = Sweeps.Write(folder, entries, slurm);
                Console.WriteLine($"Wrote {manifest} ({entries.Count} runs) and {script}");
                if (p.GetValue(local) is int parallel)
                {
                    folderLock.Dispose(); // the runs lock their own folders
                    int code = Sweeps.RunLocal(folder, entries, parallel, cancellation);
                    Console.WriteLine($"Collect the results with: prlstm collect {folder}");
                    return code;
                }
                if (p.GetValue(submit))
                {
                    var start = new System.Diagnostics.ProcessStartInfo("sbatch")
                    {
                        RedirectStandardOutput = true,
                        RedirectStandardError = true,
                        UseShellExecute = false
                    };
                    start.ArgumentList.Add("--parsable");
                    start.ArgumentList.Add(script);
                    System.Diagnostics.Process process;
                    try { process = System.Diagnostics.Process.Start(start)!; }
                    catch (System.ComponentModel.Win32Exception)
                    {
                        throw new InvalidOperationException("--submit: sbatch was not found; "
                        + "is this a Slurm login node? Submit the script yourself with: sbatch " + script);
                    }
                    string jobId = process.StandardOutput.ReadToEnd().Trim(), error = process.StandardError.ReadToEnd().Trim();
                    process.WaitForExit();
                    if (process.ExitCode != 0) throw new InvalidOperationException($"sbatch failed: {error.ReplaceLineEndings(" ")}");
                    Console.WriteLine($"Submitted job {jobId.Split(';')[0]}");
                    Console.WriteLine(jobId.Split(';')[0]);
                }
                else Console.WriteLine($"Submit it with: sbatch {script}   (or run it here: prlstm sweep ... --local N)");
                return 0;
            });
            return command;
        }

        private static Command RunCommand(CancellationToken cancellation)
        {
            var command = new Command("run", "Train and score one run of a sweep's manifest into its folder (what each Slurm array task "
                + "runs): skipped when finished, resumed from its checkpoint when stopped before.");
            var manifest = Opt<string>("--manifest", "the sweep's manifest.jsonl", required: true);
            var index = Opt<int>("--index", "the run's line in the manifest, from 0 (the array task id)", required: true);
            command.Add(manifest);
            command.Add(index);
            command.SetAction(p =>
            {
                Apply(p);
                return Sweeps.RunOne(p.GetValue(manifest)!, p.GetValue(index), cancellation);
            });
            return command;
        }

        private static Command CollectCommand()
        {
            var command = new Command("collect", "Read every run of a sweep and write collected.json, collected.md (both aggregations: "
                + "best over seeds and learning rates, and seed 0; every run's score; what is missing or failed) and accuracy-by-length "
                    + "plots.");
            var folder = new Argument<string>("SWEEP_FOLDER") { Description = "the folder that sweep wrote" };
            command.Add(folder);
            command.SetAction(p =>
            {
                Apply(p);
                string path = p.GetValue(folder)!;
                var (collected, files) = Sweeps.Collect(path);
                Console.WriteLine(File.ReadAllText(Path.Combine(path, "collected.md")));
                Console.WriteLine("Wrote " + string.Join(", ", files));
                return collected.Missing + collected.Failed == 0 ? 0 : 2;
            });
            return command;
        }

        private static Command BenchCommand()
        {
            var command = new Command("bench", "Time, GFLOP/s and peak memory of the generated PR-LSTM executions against yardsticks "
                + "(nn.LSTM, a hand-written tree, a naive recursion, the Transformer), in one run.");
            var quick = Opt<bool>("--quick", "H = 256, B in {1, 64}, T up to 2048, 3 repeats (a few minutes)");
            var json = Opt<string>("--json", "write the records to this JSON file");
            var plots = Opt<string>("--plots", "write time and memory plots (PNG) to this folder");
            var impls = Opt<string>("--impls", "comma-separated subset of: " + string.Join(", ", Bench.Implementations));
            var kernels = Opt<bool>("--kernels", "only the fused kernels against op-by-op bodies, recomputed training and the matmuls "
                + "alone, interleaved; prlstm train's step on parity_check, the last position or every prefix, fused or op-by-op, "
                + "against its matmuls; the fused path with its kernels computing nothing (the floor under any elementwise "
                + "implementation); and the training memory (9 rounds with --quick, else 21)");
            foreach (Option option in new Option[] { quick, json, plots, impls, kernels }) command.Add(option);
            command.SetAction(p =>
            {
                Apply(p);
                if (p.GetValue(kernels))
                {
                    KernelBench.Run(p.GetValue(quick) ? 9 : 21, Console.WriteLine);
                    return 0;
                }
                var settings = p.GetValue(quick) ? Bench.Quick : Bench.Full;
                if (p.GetValue(impls) is string subset)
                {
                    var chosen = subset.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                    foreach (string impl in chosen)
                        if (!Bench.Implementations.Contains(impl)) throw new ArgumentException($"unknown implementation '{impl}'; use "
                            + $"{string.Join(", ", Bench.Implementations)}");
                    settings = settings with { Impls = chosen };
                }
                if (p.GetValue(json) is string jsonPath) Runs.EnsureWritable(Path.GetDirectoryName(Path.GetFullPath(jsonPath))!);
                var records = Bench.Run(settings, Console.WriteLine);
                StreamBench.Result? streamed = null;
                var streamSettings = p.GetValue(quick) ? StreamBench.Quick : StreamBench.Full;
                if (settings.Impls.Contains("stream"))
                {
                    streamed = StreamBench.Run(streamSettings, Console.WriteLine);
                    records.AddRange(streamed.Records);
                }
                Console.WriteLine();
                if (settings.Impls.Any(i => i != "stream"))
                    foreach (string line in Bench.Targets(records)) Console.WriteLine(line);
                if (streamed is not null)
                    foreach (string line in StreamBench.Targets(streamed, streamSettings)) Console.WriteLine(line);
                Console.WriteLine($"6. live tensors after 1,000 forward + final-state calls: {Bench.LeakCheck():+0;-0;0} (target 0)");
                if (p.GetValue(json) is string path) { Bench.WriteJson(path, records); Console.WriteLine($"Wrote {path}"); }
                if (p.GetValue(plots) is string folder) { Bench.Plots(folder, records); Console.WriteLine($"Wrote plots to {folder}"); }
                return 0;
            });
            return command;
        }

        /// <summary>Runs every configuration (keeping finished runs, resuming unfinished ones) and writes the combined report.</summary>
        private static int Compare(string folder, IReadOnlyList<RunConfig> configs, Runs.EvalSettings eval, Device device,
            CancellationToken cancellation, string title)
        {
            using var folderLock = RunFolderLock.Acquire(folder);
            var results = new List<RunResult>();
            foreach (var config in configs)
            {
                string runFolder = Path.Combine(folder, config.Task, config.Model);
                using var runLock = RunFolderLock.Acquire(runFolder);
                if (Runs.IsFinished(runFolder, config))
                {
                    results.AddRange(Reports.Read(Path.Combine(runFolder, "results.json")));
                    Console.WriteLine($"{config.Model} on {config.Task}: kept the finished run in '{runFolder}'");
                    continue;
                }
                var result = Runs.TrainAndEvaluate(config, runFolder, resume: Checkpoints.Exists(runFolder), eval, device, cancellation);
                if (result is null)
                {
                    if (results.Count > 0) Report(folder, results, title + " (partial)");
                    return Interrupted;
                }
                Reports.WriteAll(runFolder, new[] { result }, $"{config.Model} on {config.Task}");
                results.Add(result);
            }
            Report(folder, results, title);
            return 0;
        }

        private static void Report(string folder, IReadOnlyList<RunResult> results, string title)
        {
            var files = Reports.WriteAll(folder, results, title);
            Console.WriteLine();
            Console.WriteLine(Reports.Table(results));
            Console.WriteLine("Wrote " + string.Join(", ", files.Select(f => Path.GetRelativePath(Environment.CurrentDirectory, f))));
        }

        /// <summary>Rebuilds a checkpoint's model with its weights.</summary>
        private static (RunConfig Config, PrLstm.Experiments.TaskModel Model, CheckpointState State) Load(string folder, Device device)
        {
            var (state, model) = Checkpoints.Open(folder, s => ModelCatalog.Build(s.Config, device));
            return (state.Config, model, state);
        }
    }
}
