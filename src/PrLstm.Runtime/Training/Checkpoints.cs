using System.Text.Json;
using System.Text.Json.Serialization;
using PrLstm.Runtime.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace PrLstm.Runtime.Training;

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
}

/// <summary>
/// Checkpoints in a folder: <c>checkpoint.json</c> (the run and its state, readable) naming a
/// <c>weights-{step}.safetensors</c> file (model parameters by name, <c>adam.m.*</c> / <c>adam.v.*</c>, and
/// <c>rng.torch</c>). Both are written atomically, weights first, then the JSON; older weights files are removed
/// only after the new JSON is in place. A crash at any moment therefore leaves a complete previous checkpoint.
/// </summary>
public static class Checkpoints
{
    public const string FileName = "checkpoint.json";
    private const string TorchRngName = "rng.torch";

    internal static readonly JsonSerializerOptions Json = new() { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.Never, IncludeFields = true };

    public static bool Exists(string folder) => File.Exists(Path.Combine(folder, FileName));

    public static void Save(string folder, nn.Module model, Adam optimizer, CheckpointState state)
    {
        Directory.CreateDirectory(folder);
        string weightsFile = $"weights-{state.Step:D8}.safetensors";
        using var rng = torch.random.get_rng_state();
        var tensors = model.state_dict().Concat(optimizer.StateTensors()).Append(KeyValuePair.Create(TorchRngName, rng));
        Safetensors.Write(Path.Combine(folder, weightsFile), tensors, new Dictionary<string, string> { ["task"] = state.Config.Task, ["model"] = state.Config.Model, ["step"] = state.Step.ToString() });
        AtomicFile.WriteAllText(Path.Combine(folder, FileName), JsonSerializer.Serialize(state with { WeightsFile = weightsFile, SavedUtc = DateTime.UtcNow }, Json));
        foreach (string old in Directory.GetFiles(folder, "weights-*.safetensors"))
            if (Path.GetFileName(old) != weightsFile) File.Delete(old);
    }

    /// <summary>Reads a checkpoint's JSON; throws a clear error for a missing folder or a corrupt file.</summary>
    public static CheckpointState ReadState(string folder)
    {
        string path = Path.Combine(folder, FileName);
        if (!File.Exists(path))
            throw new FileNotFoundException(Directory.Exists(folder) ? $"'{folder}' holds no checkpoint ({FileName} is missing)." : $"There is no checkpoint folder '{folder}'.", path);
        try
        {
            var state = JsonSerializer.Deserialize<CheckpointState>(File.ReadAllText(path), Json) ?? throw new JsonException("empty");
            if (state.Format != CheckpointState.CurrentFormat)
                throw new InvalidDataException($"'{path}' has checkpoint format {state.Format}; this version reads format {CheckpointState.CurrentFormat}.");
            return state;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{path}' is not a valid checkpoint: {e.Message}", e);
        }
    }

    /// <summary>Loads the model weights (and, if given, the optimizer state and torch's RNG state).</summary>
    public static void Restore(string folder, CheckpointState state, nn.Module model, Adam? optimizer = null)
    {
        var tensors = Safetensors.Read(Path.Combine(folder, state.WeightsFile));
        try
        {
            var modelTensors = tensors.Where(t => !t.Key.StartsWith("adam.") && t.Key != TorchRngName).ToDictionary(t => t.Key, t => t.Value);
            Safetensors.LoadInto(model, modelTensors, Path.Combine(folder, state.WeightsFile));
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
}
