using System.Text.Json;
using System.Text.Json.Serialization;
using PrLstm.Runtime.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace PrLstm.Experiments.Training;

/// <summary>What a checkpoint's JSON file holds: the run, where training stands, and the weights file.</summary>
public sealed record CheckpointState
{
    public const int CurrentFormat = 1;

    public int Format { get; init; } = CurrentFormat;

    public required RunConfig Config { get; init; }

    /// <summary>Updates done so far; training resumes at this step.</summary>
    public required long Step { get; init; }

    /// <summary>State of the task sampler's random stream (see TaskRandom.State).</summary>
    public required ulong[] SamplerState { get; init; }

    /// <summary>The safetensors file beside this JSON: model weights, Adam moments, torch's RNG state.</summary>
    public required string WeightsFile { get; init; }

    public required IReadOnlyList<TrainingLogEntry> History { get; init; }

    /// <summary>
    /// The logging window open when the checkpoint was written (steps, loss sum, accuracy sum), so that a resumed run
    /// logs exactly what an uninterrupted one would.
    /// </summary>
    public (int Steps, double LossSum, double AccuracySum) OpenWindow { get; init; }

    public double TrainingSeconds { get; init; }

    public DateTime SavedUtc { get; init; } = DateTime.UtcNow;

    /// <summary>Every way this state contradicts itself or is out of range, each naming the field; empty when it is valid.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (Config is null) return new[] { "Config is missing" };
        problems.AddRange(Config.Problems().Select(p => "Config." + p));
        if (Step < 0 || Step > Config.Steps)
            problems.Add($"Step {Step} is outside 0..{Config.Steps} (Config.Steps)");
        if (SamplerState is null || SamplerState.Length != 4 || SamplerState.All(x => x == 0))
            problems.Add("SamplerState is not four numbers, not all zero");
        if (WeightsFile is null || !Checkpoints.IsWeightsFileName(WeightsFile))
            problems.Add($"WeightsFile '{WeightsFile}' is not a name of the form weights-<step>.safetensors inside the checkpoint folder");
        if (History is null)
            problems.Add("History is missing");
        else
        {
            long previous = 0;
            foreach (var entry in History)
            {
                if (entry is null || entry.Step <= previous || entry.Step > Step || !double.IsFinite(entry.Loss)
                    || !(entry.Accuracy is >= 0 and <= 1) || !(entry.StepsPerSecond >= 0))
                {
                    problems.Add($"History has an entry after step {previous} that is out of order or out of range");
                    break;
                }
                previous = entry.Step;
            }
        }
        var (windowSteps, lossSum, accuracySum) = OpenWindow;
        if (windowSteps < 0 || windowSteps > Config.LogEvery || windowSteps > Step || !double.IsFinite(lossSum)
            || !double.IsFinite(accuracySum))
            problems.Add($"OpenWindow ({windowSteps} steps, loss sum {lossSum}, accuracy sum {accuracySum}) is out of range");
        if (!(double.IsFinite(TrainingSeconds) && TrainingSeconds >= 0))
            problems.Add($"TrainingSeconds {TrainingSeconds} is not a duration");
        return problems;
    }
}

/// <summary>
/// Checkpoints in a folder: <c>checkpoint.json</c> (the run and its state, readable) naming a
/// <c>weights-{step}.safetensors</c> file (model parameters by name, <c>adam.m.*</c> / <c>adam.v.*</c>, and
/// <c>rng.torch</c>). Both are written atomically, weights first, then the JSON; older weights files are removed
/// only after the new JSON is in place, and the one before the current stays one save longer, so that a reader who read
/// the previous JSON still finds its weights. A crash at any moment therefore leaves a complete previous checkpoint.
/// A checkpoint is validated as a whole (JSON fields, the weights file's header against the JSON and the model) before
/// any tensor is read, so no file reaches libtorch unchecked.
/// </summary>
public static class Checkpoints
{
    public const string FileName = "checkpoint.json";
    private const string TorchRngName = "rng.torch";

    internal static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        IncludeFields = true,
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true
    };

    public static bool Exists(string folder) => File.Exists(Path.Combine(folder, FileName));

    public static void Save(string folder, nn.Module model, Adam optimizer, CheckpointState state)
    {
        Directory.CreateDirectory(folder);
        string weightsFile = $"weights-{state.Step:D8}.safetensors";
        using var rng = torch.random.get_rng_state();
        var tensors = model.state_dict().Concat(optimizer.StateTensors()).Append(KeyValuePair.Create(TorchRngName, rng));
        Safetensors.Write(Path.Combine(folder, weightsFile), tensors,
            new Dictionary<string, string>
            {
                ["task"] = state.Config.Task,
                ["model"] = state.Config.Model,
                ["step"] = state.Step.ToString()
            });
        string? previous = Exists(folder) ? TryReadWeightsFile(folder) : null;
        AtomicFile.WriteAllText(Path.Combine(folder, FileName),
            JsonSerializer.Serialize(state with { WeightsFile = weightsFile, SavedUtc = DateTime.UtcNow }, Json));
        foreach (string old in Directory.GetFiles(folder, "weights-*.safetensors"))
            if (Path.GetFileName(old) is string name && name != weightsFile && name != previous) File.Delete(old);
    }

    /// <summary>Whether <paramref name="name"/> is a weights file name this class writes: a plain name, never a path.</summary>
    public static bool IsWeightsFileName(string name)
        => System.Text.RegularExpressions.Regex.IsMatch(name, @"^weights-[0-9]{8,19}\.safetensors\z");

    private static string? TryReadWeightsFile(string folder)
    {
        try
        {
            using var json = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(folder, FileName)));
            return json.RootElement.TryGetProperty(nameof(CheckpointState.WeightsFile), out var name)
                && name.ValueKind == JsonValueKind.String ? name.GetString() : null;
        }
        catch (Exception e) when (e is JsonException or IOException)
        {
            return null;
        }
    }

    /// <summary>Reads a checkpoint's JSON; throws a clear error for a missing folder or a corrupt file.</summary>
    public static CheckpointState ReadState(string folder)
    {
        string path = Path.Combine(folder, FileName);
        if (!File.Exists(path))
            throw new FileNotFoundException(Directory.Exists(folder) ? $"'{folder}' holds no checkpoint ({FileName} is missing)."
                : $"There is no checkpoint folder '{folder}'.", path);
        try
        {
            var state = JsonSerializer.Deserialize<CheckpointState>(File.ReadAllText(path), Json)
                ?? throw new JsonException("the file holds null");
            if (state.Format != CheckpointState.CurrentFormat)
                throw new InvalidDataException($"'{path}' has checkpoint format {state.Format}; this version reads format "
                    + $"{CheckpointState.CurrentFormat}.");
            var problems = state.Problems();
            if (problems.Count > 0)
                throw new InvalidDataException($"'{path}' is not a valid checkpoint: {string.Join("; ", problems)}.");
            return state;
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or ArgumentException or OverflowException)
        {
            throw new InvalidDataException($"'{path}' is not a valid checkpoint: {e.Message.ReplaceLineEndings(" ")}", e);
        }
    }

    /// <summary>
    /// Reads the checkpoint in <paramref name="folder"/> and builds its model with its weights. A writer may save a new
    /// checkpoint meanwhile: if the weights file named by the JSON read is gone, the JSON is read again (a few times).
    /// </summary>
    public static (CheckpointState State, T Model) Open<T>(string folder, Func<CheckpointState, T> build) where T : nn.Module
    {
        for (int attempt = 1; ; attempt++)
        {
            var state = ReadState(folder);
            var model = Build(folder, state, build);
            try
            {
                Restore(folder, state, model);
                return (state, model);
            }
            catch (FileNotFoundException) when (attempt < 5 && ReadState(folder).WeightsFile != state.WeightsFile)
            {
                model.Dispose(); // a newer checkpoint replaced this one while we read it: take that one
            }
            catch
            {
                model.Dispose();
                throw;
            }
        }
    }

    /// <summary>
    /// Builds the model a checkpoint describes; a description the builder refuses (an unknown model name, say) is an
    /// <see cref="InvalidDataException"/> naming the checkpoint's file.
    /// </summary>
    public static T Build<T>(string folder, CheckpointState state, Func<CheckpointState, T> build)
    {
        try
        {
            return build(state);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"'{Path.Combine(folder, FileName)}' describes a model that cannot be built: {e.Message}", e);
        }
    }

    /// <summary>
    /// Loads the model weights (and, if given, the optimizer state and torch's RNG state). The weights file's header is
    /// checked first against the checkpoint (its task, model and step) and against the model and optimizer (every name,
    /// shape and dtype, and the RNG state's size), so that nothing is read or changed unless all of it fits.
    /// </summary>
    public static void Restore(string folder, CheckpointState state, nn.Module model, Adam? optimizer = null)
    {
        string path = Path.Combine(folder, state.WeightsFile), json = Path.Combine(folder, FileName);
        if (!IsWeightsFileName(state.WeightsFile))
            throw new InvalidDataException($"'{json}' names the weights file '{state.WeightsFile}', which is not a weights file inside "
                + $"the checkpoint folder.");
        if (!File.Exists(path))
            throw new FileNotFoundException($"'{json}' names the weights file '{state.WeightsFile}', which is not in the folder", path);
        var target = model.state_dict();
        var tensors = Safetensors.Read(path, header => CheckWeights(path, json, header, state, model, target, optimizer));
        try
        {
            Safetensors.CopyInto(target, tensors); // every name, shape and dtype checked on the header above
            if (optimizer is null) return;
            optimizer.Restore(tensors, state.Step);
            if (tensors.TryGetValue(TorchRngName, out var rng))
                torch.random.set_rng_state(rng);
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    private static void CheckWeights(string path, string json, SafetensorsHeader header, CheckpointState state, nn.Module model,
        IReadOnlyDictionary<string, Tensor> target, Adam? optimizer)
    {
        // Either file may be the wrong one, so every message names both.
        string described = $"the {state.Config.Model} model that '{json}' describes (H = {state.Config.Hidden}, layers = "
            + $"{state.Config.Layers})";
        var problems = new List<string>();
        foreach (var (key, expected) in new[] { ("task", state.Config.Task), ("model", state.Config.Model),
            ("step", state.Step.ToString(System.Globalization.CultureInfo.InvariantCulture)) })
        {
            if (!header.Metadata.TryGetValue(key, out var actual)) problems.Add($"its metadata has no '{key}'");
            else if (actual != expected) problems.Add($"its metadata says {key} '{actual}' but {FileName} says '{expected}'");
        }
        if (problems.Count > 0)
            throw new InvalidDataException($"'{path}' does not belong to the checkpoint '{json}': {string.Join("; ", problems)}.");

        var modelEntries = header.Tensors.Where(t => !t.Key.StartsWith(Adam.StatePrefix, StringComparison.Ordinal)
            && t.Key != TorchRngName).ToDictionary();
        try
        {
            Safetensors.CheckMatches(model, target, modelEntries, path);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException(e.Message.TrimEnd('.') + $" ({described}).", e);
        }

        var optimizerEntries = header.Tensors.Where(t => t.Key.StartsWith(Adam.StatePrefix, StringComparison.Ordinal)).ToDictionary();
        problems.AddRange(Safetensors.Differences(Adam.ExpectedState(model.named_parameters()), optimizerEntries, "the optimizer"));
        if (header.Tensors.TryGetValue(TorchRngName, out var rng))
        {
            using var current = torch.random.get_rng_state();
            if (rng.DType != current.dtype || !rng.Shape.SequenceEqual(current.shape))
                problems.Add($"'{TorchRngName}' is {Safetensors.FormatName(rng.DType)} [{string.Join(", ", rng.Shape)}] but torch's "
                    + $"random state is {Safetensors.FormatName(current.dtype)} [{string.Join(", ", current.shape)}]");
        }
        else if (optimizer is not null) problems.Add($"missing '{TorchRngName}'");
        if (problems.Count > 0)
            throw new InvalidDataException($"The weights in '{path}' do not match {described}: {string.Join("; ", problems)}.");
    }
}
