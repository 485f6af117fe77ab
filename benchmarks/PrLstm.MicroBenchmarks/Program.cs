using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

// One tree level of PR-LSTM and the activations it is made of, each against the plain TorchSharp way. In process:
// this process already loads TorchSharp's native library with the project's compatibility step (a separately
// built benchmark process would not have it on systems whose libstdc++ is older than GCC 13's).
var config = DefaultConfig.Instance.AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance));
BenchmarkSwitcher.FromAssembly(typeof(PrLstm.MicroBenchmarks.LevelBenchmarks).Assembly).Run(args, config);
