using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using PrLstm.Runtime.Weights;
using static TorchSharp.torch;

namespace PrLstm.IntegrationTests;

/// <summary>Tests that run the CLI in this process and capture the console: they run alone.</summary>
[CollectionDefinition(nameof(ConsoleCapture), DisableParallelization = true)]
public sealed class ConsoleCapture
{
    public sealed record Outcome(int ExitCode, string Output, string Error);

    /// <summary>A refusal as the CLI promises it: exit code 1 and one line "prlstm: ..." (no trace) holding every part.</summary>
    public static void AssertOneLineError(Outcome outcome, params string[] parts)
    {
        Assert.True(outcome.ExitCode == 1, $"exit {outcome.ExitCode}: {outcome.Error}");
        string line = outcome.Error.TrimEnd('\n');
        Assert.DoesNotContain('\n', line);
        Assert.DoesNotContain("   at ", line);
        Assert.StartsWith("prlstm: ", line);
        foreach (string part in parts) Assert.Contains(part, line);
    }

    private static readonly object Gate = new();

    /// <summary>Runs <c>prlstm</c> with these arguments in this process, with the console captured.</summary>
    public static Outcome Prlstm(params string[] args)
    {
        lock (Gate)
        {
            var (oldOut, oldError) = (Console.Out, Console.Error);
            var (output, error) = (new StringWriter(), new StringWriter());
            Console.SetOut(output);
            Console.SetError(error);
            try
            {
                int code = PrLstm.FormalLanguages.Cli.Cli.Run(args);
                return new Outcome(code, output.ToString(), error.ToString());
            }
            finally
            {
                Console.SetOut(oldOut);
                Console.SetError(oldError);
                // Leave no TorchSharp objects to the finalizer thread: TorchSharp 0.107 passes an implicitly converted
                // Scalar's handle to native code without keeping the Scalar alive, so a finalizer running during
                // another test's native call can free it mid-call (seen once: "Expected false to be true" in
                // Scalar::toDouble inside Tensor.add).
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
        }
    }
}

/// <summary>
/// Crafted checkpoint folders, each with one field of checkpoint.json or of the weights file mutated (sizes, offsets,
/// dtypes, names, types, extremes). For each: exit code 1, one line that names the file and the problem, and every
/// file of the folder byte for byte as it was.
/// </summary>
[Collection(nameof(ConsoleCapture))]
public class HostileFileTests
{
    private static readonly Lazy<string> Pristine = new(() =>
    {
        string folder = Directory.CreateTempSubdirectory("prlstm-hostile").FullName;
        var train = ConsoleCapture.Prlstm("train", "--task", "parity_check", "--model", "pr-lstm", "--hidden", "4", "--batch-size", "4",
            "--steps", "2",
            "--log-every", "1", "--checkpoint-every", "1", "--eval-lengths", "none", "--out", folder);
        Assert.True(train.ExitCode == 0, train.Error);
        return folder;
    });

    private const string Json = "checkpoint.json";

    /// <summary>How a case mutates a copy of the pristine run folder; the string is the path of the file it mutated.</summary>
    private delegate string Mutation(string folder);

    private static string WeightsOf(string folder) =>
        Path.Combine(folder, JsonNode.Parse(File.ReadAllText(Path.Combine(folder, Json)))!["WeightsFile"]!.GetValue<string>());

    // ---- checkpoint.json ----------------------------------------------------------------------------------------

    private static Mutation Text(string text) => folder =>
    {
        string path = Path.Combine(folder, Json);
        File.WriteAllText(path, text);
        return path;
    };

    /// <summary>Sets (or with null removes) the JSON value at a dotted path, e.g. "Config.Hidden".</summary>
    private static Mutation Field(string dotted, string? jsonValue) => folder =>
    {
        string path = Path.Combine(folder, Json);
        var root = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        string[] parts = dotted.Split('.');
        var parent = root;
        foreach (string part in parts[..^1]) parent = parent[part]!.AsObject();
        if (jsonValue is null) parent.Remove(parts[^1]);
        else parent[parts[^1]] = JsonNode.Parse(jsonValue);
        File.WriteAllText(path, root.ToJsonString());
        return path;
    };

    // ---- the weights file ---------------------------------------------------------------------------------------

    /// <summary>Replaces the weights file's bytes.</summary>
    private static Mutation Bytes(Func<byte[], byte[]> edit) => folder =>
    {
        string path = WeightsOf(folder);
        File.WriteAllBytes(path, edit(File.ReadAllBytes(path)));
        return path;
    };

    private static (JsonObject Header, byte[] Data) Split(byte[] file)
    {
        long length = BitConverter.ToInt64(file, 0);
        return (JsonNode.Parse(file.AsSpan(8, (int)length))!.AsObject(), file[(8 + (int)length)..]);
    }

    private static byte[] Join(string header, byte[] data) =>
        BitConverter.GetBytes((ulong)Encoding.UTF8.GetByteCount(header)).Concat(Encoding.UTF8.GetBytes(header)).Concat(data).ToArray();

    /// <summary>Edits the weights file's parsed header (and its data), then writes the header back unpadded.</summary>
    private static Mutation Header(Action<JsonObject, List<byte>> edit) => Bytes(file =>
    {
        var (header, data) = Split(file);
        var list = data.ToList();
        edit(header, list);
        return Join(header.ToJsonString(), list.ToArray());
    });

    /// <summary>Edits one tensor's entry in the weights file's header.</summary>
    private static Mutation Entry(string tensor, string field, string? jsonValue) => Header((header, _) =>
    {
        var entry = header[tensor]!.AsObject();
        if (jsonValue is null) entry.Remove(field);
        else entry[field] = JsonNode.Parse(jsonValue);
    });

    /// <summary>Rewrites the weights file through the library's own writer with edited tensors or metadata: a well-formed file that does
    /// not fit.</summary>
    private static Mutation Tensors(Action<Dictionary<string, Tensor>, Dictionary<string, string>> edit) => folder =>
    {
        using var scope = NewDisposeScope();
        string path = WeightsOf(folder);
        var tensors = Safetensors.Read(path, out var metadata);
        var edited = new Dictionary<string, Tensor>(tensors);
        var meta = new Dictionary<string, string>(metadata);
        edit(edited, meta);
        Safetensors.Write(path, edited, meta);
        return path;
    };

    private const string Bias = "core.encoder.gates.bias", Weight = "core.encoder.gates.weight";

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var c in CaseList) data.Add(c.Name, c.Command);
        return data;
    }

    private sealed record Case(string Name, Mutation Mutate, string Problem, string Command = "eval");

    private static readonly Case[] CaseList = BuildCases().ToArray();

    private static IEnumerable<Case> BuildCases()
    {
        // The JSON file as a whole.
        yield return new("json empty", Text(""), "is not a valid checkpoint");
        yield return new("json broken", Text("{ broken"), "is not a valid checkpoint");
        yield return new("json null", Text("null"), "is not a valid checkpoint");
        yield return new("json array", Text("[]"), "is not a valid checkpoint");
        yield return new("json number", Text("42"), "is not a valid checkpoint");
        yield return new("json binary", Text("\u0000\u0001\u0002"), "is not a valid checkpoint");
        yield return new("json deep", Text(new string('[', 5000) + new string(']', 5000)), "is not a valid checkpoint");
        yield return new("json long number", Text("{\"Format\": " + new string('9', 10_000) + "}"), "is not a valid checkpoint");
        // Format.
        yield return new("format 2", Field("Format", "2"), "checkpoint format 2");
        yield return new("format string", Field("Format", "\"1\""), "is not a valid checkpoint");
        // Config and each of its fields.
        yield return new("config null", Field("Config", "null"), "is not a valid checkpoint");
        yield return new("config missing", Field("Config", null), "is not a valid checkpoint");
        yield return new("config number", Field("Config", "7"), "is not a valid checkpoint");
        yield return new("task unknown", Field("Config.Task", "\"nonexistent\""), "Config.Task 'nonexistent' is not a known task");
        yield return new("task empty", Field("Config.Task", "\"\""), "Config.Task is empty");
        yield return new("task number", Field("Config.Task", "5"), "is not a valid checkpoint");
        yield return new("task null", Field("Config.Task", "null"), "is not a valid checkpoint");
        yield return new("model unknown", Field("Config.Model", "\"gpt\""), "unknown model 'gpt'");
        yield return new("model empty", Field("Config.Model", "\"\""), "Config.Model is empty");
        yield return new("model gru with layers", Field("Config.Model", "\"pr-gru\""), "pr-gru has no refinements");
        yield return new("hidden 0", Field("Config.Hidden", "0"), "Config.Hidden 0 is outside 1..8192");
        yield return new("hidden negative", Field("Config.Hidden", "-1"), "Config.Hidden -1 is outside");
        yield return new("hidden huge", Field("Config.Hidden", "2000000000"), "Config.Hidden 2000000000 is outside");
        yield return new("hidden overflow", Field("Config.Hidden", "99999999999"), "is not a valid checkpoint");
        yield return new("hidden fraction", Field("Config.Hidden", "4.5"), "is not a valid checkpoint");
        yield return new("hidden string", Field("Config.Hidden", "\"4\""), "is not a valid checkpoint");
        yield return new("hidden mismatch", Field("Config.Hidden", "8"), "'core.encoder.gates.weight' has shape [12, 3] in the file but "
            + "[24, 3] in the model");
        yield return new("layers negative", Field("Config.Layers", "-1"), "Config.Layers -1 is outside");
        yield return new("layers huge", Field("Config.Layers", "100000"), "Config.Layers 100000 is outside");
        yield return new("layers mismatch", Field("Config.Layers", "2"), "missing 'core.refinements.1.");
        yield return new("steps negative", Field("Config.Steps", "-1"), "Config.Steps -1 is outside");
        yield return new("steps below step", Field("Config.Steps", "1"), "Step 2 is outside 0..1");
        yield return new("batch 0", Field("Config.BatchSize", "0"), "Config.BatchSize 0 is outside");
        yield return new("batch huge", Field("Config.BatchSize", "100000000"), "Config.BatchSize 100000000 is outside");
        yield return new("train length 0", Field("Config.MaxTrainLength", "0"), "Config.MaxTrainLength 0 is outside");
        yield return new("lr 0", Field("Config.LearningRate", "0"), "LearningRate 0 is not in");
        yield return new("lr negative", Field("Config.LearningRate", "-0.001"), "LearningRate -0.001 is not in");
        yield return new("lr huge", Field("Config.LearningRate", "1e300"), "LearningRate 1E+300 is not in");
        yield return new("lr NaN", Field("Config.LearningRate", "\"NaN\""), "is not a valid checkpoint");
        yield return new("grad norm 0", Field("Config.MaxGradNorm", "0"), "MaxGradNorm 0 is not a positive number");
        yield return new("log every 0", Field("Config.LogEvery", "0"), "Config.LogEvery 0 is outside");
        yield return new("checkpoint every 0", Field("Config.CheckpointEvery", "0"), "Config.CheckpointEvery 0 is outside");
        yield return new("seed negative", Field("Config.Seed", "-1"), "is not a valid checkpoint");
        yield return new("seed string", Field("Config.Seed", "\"zero\""), "is not a valid checkpoint");
        // Step.
        yield return new("step negative", Field("Step", "-50"), "Step -50 is outside 0..2");
        yield return new("step beyond", Field("Step", "1000000000000"), "Step 1000000000000 is outside");
        yield return new("step string", Field("Step", "\"2\""), "is not a valid checkpoint");
        yield return new("step missing", Field("Step", null), "is not a valid checkpoint");
        yield return new("step behind history", Field("Step", "1"), "History has an entry after step 1");
        // The sampler's state.
        yield return new("sampler empty", Field("SamplerState", "[]"), "SamplerState is not four numbers");
        yield return new("sampler zero", Field("SamplerState", "[0,0,0,0]"), "SamplerState is not four numbers");
        yield return new("sampler three", Field("SamplerState", "[1,2,3]"), "SamplerState is not four numbers");
        yield return new("sampler null", Field("SamplerState", "null"), "is not a valid checkpoint");
        yield return new("sampler negative", Field("SamplerState", "[-1,2,3,4]"), "is not a valid checkpoint");
        // The weights file's name.
        yield return new("weights outside", Field("WeightsFile", "\"../../etc/passwd\""), "WeightsFile '../../etc/passwd' is not a name");
        yield return new("weights absolute", Field("WeightsFile", "\"/etc/passwd\""), "WeightsFile '/etc/passwd' is not a name");
        yield return new("weights json", Field("WeightsFile", "\"checkpoint.json\""), "WeightsFile 'checkpoint.json' is not a name");
        yield return new("weights empty", Field("WeightsFile", "\"\""), "WeightsFile '' is not a name");
        yield return new("weights null", Field("WeightsFile", "null"), "is not a valid checkpoint");
        yield return new("weights absent", Field("WeightsFile", "\"weights-00000099.safetensors\""), "names the weights file "
            + "'weights-00000099.safetensors', which is not in the folder");
        yield return new("weights previous", Field("WeightsFile", "\"weights-00000001.safetensors\""), "its metadata says step '1' but "
            + "checkpoint.json says '2'");
        // History, the open window, the time.
        yield return new("history null", Field("History", "null"), "is not a valid checkpoint");
        yield return new("history order",
            Field("History",
                "[{\"Step\":2,\"Loss\":0.7,\"Accuracy\":0.5,\"StepsPerSecond\":1},"
                    + "{\"Step\":1,\"Loss\":0.7,\"Accuracy\":0.5,\"StepsPerSecond\":1}]"), "History has an entry after step 2");
        yield return new("history beyond", Field("History", "[{\"Step\":9,\"Loss\":0.7,\"Accuracy\":0.5,\"StepsPerSecond\":1}]"),
            "History has an entry after step 0");
        yield return new("history accuracy", Field("History", "[{\"Step\":1,\"Loss\":0.7,\"Accuracy\":2,\"StepsPerSecond\":1}]"),
            "History has an entry");
        yield return new("history entry null", Field("History", "[null]"), "History has an entry");
        yield return new("history missing field", Field("History", "[{\"Step\":1}]"), "is not a valid checkpoint");
        yield return new("window negative", Field("OpenWindow", "{\"Item1\":-5,\"Item2\":0,\"Item3\":0}"), "OpenWindow (-5 steps");
        yield return new("time negative", Field("TrainingSeconds", "-1"), "TrainingSeconds -1 is not a duration");

        // The weights file: its length field and header.
        yield return new("weights empty file", Bytes(_ => Array.Empty<byte>()), "shorter than the 8-byte header length");
        yield return new("weights 7 bytes", Bytes(f => f[..7]), "shorter than the 8-byte header length");
        yield return new("header length 2^63", Bytes(f => BitConverter.GetBytes(1UL << 63).Concat(f[8..]).ToArray()), "over the format's "
            + "limit");
        yield return new("header length max", Bytes(f => BitConverter.GetBytes(ulong.MaxValue).Concat(f[8..]).ToArray()),
            "over the format's limit");
        yield return new("header length over limit", Bytes(f => BitConverter.GetBytes(100_000_001UL).Concat(f[8..]).ToArray()),
            "over the format's limit");
        yield return new("header length past end", Bytes(f => BitConverter.GetBytes((ulong)f.Length).Concat(f[8..]).ToArray()),
            "its header claims");
        yield return new("header length zero", Bytes(f => BitConverter.GetBytes(0UL).Concat(f[8..]).ToArray()), "its header is not a JSON "
            + "object");
        yield return new("header cut", Bytes(f => BitConverter.GetBytes(20UL).Concat(f[8..]).ToArray()), "its header is not a JSON object");
        yield return new("header not json", Bytes(f => Join("not json at all", Split(f).Data)), "its header is not a JSON object");
        yield return new("header array", Bytes(f => Join("[1, 2]", Split(f).Data)), "its header is not a JSON object");
        yield return new("header nul padding", Bytes(f => Join(Split(f).Header.ToJsonString() + "\0\0\0", Split(f).Data)),
            "its header is not a JSON object");
        yield return new("header not utf8",
            Bytes(f => BitConverter.GetBytes(4UL).Concat(new byte[] { (byte)'{', 0xff, 0xfe, (byte)'}' }).Concat(Split(f).Data).ToArray()),
                "its header is not a JSON object");
        yield return new("header deep", Bytes(f => Join("{\"a\":" + new string('[', 3000) + new string(']', 3000) + "}", Split(f).Data)),
            "its header is not a JSON object");
        yield return new("header duplicate name", Bytes(f =>
        {
            var (header, data) = Split(f);
            string text = header.ToJsonString();
            string bias = $"\"{Bias}\":" + header[Bias]!.ToJsonString();
            return Join(text[..^1] + "," + bias + "}", data);
        }), "its header is not a JSON object");
        yield return new("header no tensors",
            Header((h, _) => { foreach (var key in h.Select(kv => kv.Key).Where(k => k != "__metadata__").ToList()) h.Remove(key); }),
                "its tensors cover 0 bytes of data");
        // One tensor's entry: every field, every type, the extremes.
        yield return new("entry number", Header((h, _) => h[Bias] = 5), $"tensor '{Bias}' is not a JSON object");
        yield return new("entry unknown field", Entry(Bias, "offset", "0"), $"tensor '{Bias}' has an unknown field 'offset'");
        yield return new("dtype missing", Entry(Bias, "dtype", null), $"tensor '{Bias}' has no dtype string");
        yield return new("dtype number", Entry(Bias, "dtype", "4"), $"tensor '{Bias}' has no dtype string");
        yield return new("dtype unknown", Entry(Bias, "dtype", "\"F128\""), $"tensor '{Bias}' has unsupported dtype 'F128'");
        yield return new("dtype lower case", Entry(Bias, "dtype", "\"f32\""), "has unsupported dtype 'f32'");
        yield return new("dtype smaller", Entry(Bias, "dtype", "\"F16\""), $"tensor '{Bias}' has byte range");
        yield return new("dtype larger", Entry(Bias, "dtype", "\"F64\""), $"tensor '{Bias}' has byte range");
        yield return new("shape missing", Entry(Bias, "shape", null), $"tensor '{Bias}' has no shape array");
        yield return new("shape string", Entry(Bias, "shape", "\"16\""), $"tensor '{Bias}' has no shape array");
        yield return new("shape negative", Entry(Bias, "shape", "[-16]"), "which are not all non-negative integers");
        yield return new("shape negative pair", Entry(Weight, "shape", "[-16, -9]"), "which are not all non-negative integers");
        yield return new("shape fraction", Entry(Bias, "shape", "[1.5]"), "which are not all non-negative integers");
        yield return new("shape null element", Entry(Bias, "shape", "[null]"), "which are not all non-negative integers");
        yield return new("shape beyond long", Entry(Bias, "shape", "[99999999999999999999]"), "which are not all non-negative integers");
        yield return new("shape overflow", Entry(Bias, "shape", "[4611686018427387904, 4611686018427387904]"), "whose size overflows");
        yield return new("shape bytes overflow", Entry(Bias, "shape", "[4611686018427387904]"), "whose size overflows");
        yield return new("shape other size", Entry(Bias, "shape", "[17]"), $"tensor '{Bias}' has byte range");
        yield return new("shape zero", Entry(Bias, "shape", "[0]"), $"tensor '{Bias}' has byte range");
        yield return new("offsets missing", Entry(Bias, "data_offsets", null), "has no data_offsets array");
        yield return new("offsets one", Entry(Bias, "data_offsets", "[0]"), "has 1 data_offsets where the format has 2");
        yield return new("offsets three", Entry(Bias, "data_offsets", "[0, 64, 128]"), "has 3 data_offsets where the format has 2");
        yield return new("offsets negative", Entry(Bias, "data_offsets", "[-64, 0]"), "which are not all non-negative integers");
        yield return new("offsets reversed", Entry(Bias, "data_offsets", "[64, 0]"), $"tensor '{Bias}' has byte range [64, 0]");
        yield return new("offsets near 2^63", Entry(Bias, "data_offsets", "[9223372036854775759, 9223372036854775807]"), "leaves a hole");
        yield return new("offsets beyond long", Entry(Bias, "data_offsets", "[0, 18446744073709551615]"), "which are not all non-negative "
            + "integers");
        yield return new("offsets strings", Entry(Bias, "data_offsets", "[\"0\", \"64\"]"), "which are not all non-negative integers");
        // The ranges together: overlaps, holes, what is left over.
        yield return new("ranges overlap", Header((h, _) =>
        {
            var entries = h.Where(kv => kv.Key != "__metadata__").Select(kv => kv.Value!.AsObject()).ToList();
            var same = entries.GroupBy(e => e["data_offsets"]![1]!.GetValue<long>() - e["data_offsets"]![0]!.GetValue<long>())
                .First(g => g.Count() > 1).ToList();
            same[1]["data_offsets"] = same[0]["data_offsets"]!.DeepClone(); // two tensors on the same bytes, others left out
        }), "overlaps the tensor before it");
        yield return new("ranges hole", Header((h, data) =>
        {
            foreach (var (key, node) in h.Where(kv => kv.Key != "__metadata__").ToList())
            {
                var offsets = node!["data_offsets"]!.AsArray();
                offsets[0] = offsets[0]!.GetValue<long>() + 8;
                offsets[1] = offsets[1]!.GetValue<long>() + 8;
            }
            data.InsertRange(0, new byte[8]);
        }), "leaves a hole after byte 0");
        yield return new("data trailing", Bytes(f => f.Concat(new byte[4]).ToArray()), "its tensors cover");
        yield return new("data truncated 1", Bytes(f => f[..^1]), "its tensors need");
        yield return new("data truncated half", Bytes(f => f[..(f.Length / 2 + 200)]), "its tensors need");
        // Metadata.
        yield return new("metadata not object", Header((h, _) => h["__metadata__"] = 3), "its __metadata__ entry is not a JSON object");
        yield return new("metadata not string", Header((h, _) => h["__metadata__"]!["task"] = 3), "its __metadata__ entry 'task' is not a "
            + "string");
        yield return new("metadata missing", Header((h, _) => h.Remove("__metadata__")), "its metadata has no 'task'");
        yield return new("metadata task", Header((h, _) => h["__metadata__"]!["task"] = "even_pairs"), "its metadata says task "
            + "'even_pairs' but checkpoint.json says 'parity_check'");
        yield return new("metadata model", Header((h, _) => h["__metadata__"]!["model"] = "lstm"), "its metadata says model 'lstm'");
        yield return new("metadata step", Header((h, _) => h["__metadata__"]!["step"] = "-50"), "its metadata says step '-50'");
        // Well-formed files whose tensors do not fit the model, the optimizer or torch.
        yield return new("bool bias", Tensors((t, _) => t[Bias] = t[Bias].to_type(ScalarType.Bool)), $"'{Bias}' is BOOL in the file but "
            + $"F32 in the model");
        yield return new("f64 bias", Tensors((t, _) => t[Bias] = t[Bias].to_type(ScalarType.Float64)), $"'{Bias}' is F64 in the file but "
            + $"F32 in the model");
        yield return new("i32 weight", Tensors((t, _) => t[Weight] = t[Weight].to_type(ScalarType.Int32)), $"'{Weight}' is I32 in the "
            + $"file but F32 in the model");
        yield return new("bias reshaped", Tensors((t, _) => t[Bias] = t[Bias].reshape(3, 4)), $"'{Bias}' has shape [3, 4] in the file "
            + $"but [12] in the model");
        yield return new("weight transposed", Tensors((t, _) => t[Weight] = t[Weight].t().contiguous()), $"'{Weight}' has shape [3, 12] "
            + $"in the file but [12, 3] in the model");
        yield return new("parameter missing", Tensors((t, _) => t.Remove(Bias)), $"missing '{Bias}'");
        yield return new("parameter extra", Tensors((t, _) => t["core.extra"] = zeros(3)), "unexpected 'core.extra'");
        yield return new("parameter renamed", Tensors((t, _) => { t["Core.encoder.gates.bias"] = t[Bias]; t.Remove(Bias); }),
            "unexpected 'Core.encoder.gates.bias'");
        yield return new("adam missing", Tensors((t, _) => t.Remove("adam.m." + Bias)), $"missing 'adam.m.{Bias}'");
        yield return new("adam extra", Tensors((t, _) => t["adam.m.nothing"] = zeros(1)), "unexpected 'adam.m.nothing'");
        yield return new("adam shape", Tensors((t, _) => t["adam.v." + Bias] = zeros(17)), $"'adam.v.{Bias}' has shape [17] in the file "
            + $"but [12] in the optimizer");
        yield return new("adam dtype", Tensors((t, _) => t["adam.v." + Bias] = zeros(new long[] { 12 }, ScalarType.Float64)),
            $"'adam.v.{Bias}' is F64 in the file but F32 in the optimizer");
        yield return new("rng short", Tensors((t, _) => t["rng.torch"] = zeros(new long[] { 10 }, ScalarType.Byte)), "'rng.torch' is U8 "
            + "[10] but torch's random state is U8 [5056]");
        yield return new("rng float", Tensors((t, _) => t["rng.torch"] = t["rng.torch"].to_type(ScalarType.Float32)), "'rng.torch' is F32");
        yield return new("rng 2d", Tensors((t, _) => t["rng.torch"] = t["rng.torch"].unsqueeze(0)), "'rng.torch' is U8 [1, ");
        yield return new("rng short resume", Tensors((t, _) => t["rng.torch"] = zeros(new long[] { 10 }, ScalarType.Byte)),
            "'rng.torch' is U8 [10]", "resume");
        yield return new("rng missing resume", Tensors((t, _) => t.Remove("rng.torch")), "missing 'rng.torch'", "resume");
        yield return new("adam shape resume", Tensors((t, _) => t["adam.m." + Weight] = zeros(16, 8)), $"'adam.m.{Weight}' has shape "
            + $"[16, 8] in the file but [12, 3] in the optimizer", "resume");
        yield return new("offsets near 2^63 resume", Entry(Bias, "data_offsets", "[9223372036854775759, 9223372036854775807]"),
            "leaves a hole", "resume");
        yield return new("hidden huge resume", Field("Config.Hidden", "2000000000"), "Config.Hidden 2000000000 is outside", "resume");
        yield return new("step negative resume", Field("Step", "-50"), "Step -50 is outside", "resume");
        yield return new("weights outside resume", Field("WeightsFile", "\"../weights-00000002.safetensors\""), "is not a name", "resume");
        yield return new("bool bias predict", Tensors((t, _) => t[Bias] = t[Bias].to_type(ScalarType.Bool)), "is BOOL in the file",
            "predict");
        yield return new("offsets near 2^63 predict", Entry(Bias, "data_offsets", "[9223372036854775759, 9223372036854775807]"),
            "leaves a hole", "predict");
        yield return new("json broken predict", Text("{ broken"), "is not a valid checkpoint", "predict");
        yield return new("sampler zero predict", Field("SamplerState", "[0,0,0,0]"), "SamplerState", "predict");
    }

    [Fact]
    public void TheSuiteHasAtLeastAHundredCraftedFiles() => Assert.True(CaseList.Length >= 100, $"{CaseList.Length} cases");

    [Theory]
    [MemberData(nameof(Cases))]
    public void ACraftedFileIsRefusedInOneLineThatNamesItAndNothingChanges(string name, string command)
    {
        var hostile = CaseList.Single(c => c.Name == name);
        string folder = Directory.CreateTempSubdirectory("prlstm-hostile-case").FullName;
        foreach (string file in Directory.GetFiles(Pristine.Value))
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
        string mutated = hostile.Mutate(folder);
        var before = Snapshot(folder);

        var outcome = command switch
        {
            "eval" => ConsoleCapture.Prlstm("eval", "--checkpoint", folder, "--lengths", "41", "--batches", "1", "--batch-size", "2"),
            "predict" => ConsoleCapture.Prlstm("predict", "--checkpoint", folder, "--input", "0110"),
            _ => ConsoleCapture.Prlstm("train", "--task", "parity_check", "--hidden", "4", "--batch-size", "4", "--steps", "4",
                "--log-every", "1",
                "--checkpoint-every", "1", "--eval-lengths", "none", "--out", folder, "--resume"),
        };

        ConsoleCapture.AssertOneLineError(outcome, mutated, hostile.Problem);
        Assert.Equal(before, Snapshot(folder));
    }

    /// <summary>Every file of the folder (names and SHA-256 of the contents).</summary>
    private static string Snapshot(string folder) =>
        string.Join("\n", Directory.GetFiles(folder).Order(StringComparer.Ordinal)
            .Select(f => Path.GetFileName(f) + " " + Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f)))));
}
