using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;

namespace PrLstm.Runtime.Weights;

/// <summary>
/// Reads and writes the safetensors format (the one PyTorch users exchange weights in): an 8-byte
/// little-endian header length, a JSON header mapping each name to its dtype, shape and byte range, then the
/// raw little-endian data. Writes are atomic (a temporary file in the same folder, then a rename), so a crash
/// never leaves a half-written file in place of a good one.
/// </summary>
public static class Safetensors
{
    private static readonly Dictionary<ScalarType, (string Name, int Bytes)> Formats = new()
    {
        [ScalarType.Float32] = ("F32", 4),
        [ScalarType.Float64] = ("F64", 8),
        [ScalarType.Float16] = ("F16", 2),
        [ScalarType.BFloat16] = ("BF16", 2),
        [ScalarType.Int64] = ("I64", 8),
        [ScalarType.Int32] = ("I32", 4),
        [ScalarType.Int16] = ("I16", 2),
        [ScalarType.Int8] = ("I8", 1),
        [ScalarType.Byte] = ("U8", 1),
        [ScalarType.Bool] = ("BOOL", 1),
    };

    /// <summary>Saves every parameter and buffer of <paramref name="module"/> by its state-dict name.</summary>
    public static void Save(nn.Module module, string path, IReadOnlyDictionary<string, string>? metadata = null) =>
        Write(path, module.state_dict(), metadata);

    /// <summary>
    /// Loads a file into <paramref name="module"/>'s parameters by name, converting dtype and device as needed.
    /// The file must hold exactly the module's names with the module's shapes; otherwise nothing is changed and
    /// an <see cref="InvalidDataException"/> lists every difference.
    /// </summary>
    public static void Load(nn.Module module, string path)
    {
        var stored = Read(path);
        try
        {
            LoadInto(module, stored, path);
        }
        finally
        {
            foreach (var tensor in stored.Values) tensor.Dispose();
        }
    }

    /// <summary>
    /// Copies named tensors into <paramref name="module"/>'s parameters and buffers; the names and shapes must match
    /// exactly, otherwise nothing is changed and an <see cref="InvalidDataException"/> lists every difference.
    /// </summary>
    public static void LoadInto(nn.Module module, IReadOnlyDictionary<string, Tensor> stored, string source)
    {
        var target = module.state_dict();
        var problems = new List<string>();
        foreach (var name in target.Keys.Except(stored.Keys).Order(StringComparer.Ordinal))
            problems.Add($"missing '{name}' [{string.Join(", ", target[name].shape)}]");
        foreach (var name in stored.Keys.Except(target.Keys).Order(StringComparer.Ordinal))
            problems.Add($"unexpected '{name}' [{string.Join(", ", stored[name].shape)}]");
        foreach (var name in target.Keys.Intersect(stored.Keys).Order(StringComparer.Ordinal))
            if (!target[name].shape.SequenceEqual(stored[name].shape))
                problems.Add($"'{name}' has shape [{string.Join(", ", stored[name].shape)}] in the file but [{string.Join(", ", target[name].shape)}] in the model");
        if (problems.Count > 0)
            throw new InvalidDataException($"The weights in '{source}' do not match this {module.GetName()} model: {string.Join("; ", problems)}.");

        using var noGrad = no_grad();
        foreach (var (name, tensor) in target)
            tensor.copy_(stored[name]);
    }

    /// <summary>Writes named tensors to <paramref name="path"/> atomically.</summary>
    public static void Write(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var header = new JsonObject();
        if (metadata is { Count: > 0 })
            header["__metadata__"] = new JsonObject(metadata.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value))));
        var blobs = new List<byte[]>();
        long offset = 0;
        foreach (var (name, tensor) in tensors)
        {
            if (!Formats.TryGetValue(tensor.dtype, out var format))
                throw new NotSupportedException($"Tensor '{name}' has dtype {tensor.dtype}, which safetensors files here cannot hold.");
            using var cpuCopy = tensor.detach().cpu().contiguous();
            byte[] bytes = cpuCopy.bytes.ToArray();
            header[name] = new JsonObject
            {
                ["dtype"] = format.Name,
                ["shape"] = new JsonArray(tensor.shape.Select(d => (JsonNode?)JsonValue.Create(d)).ToArray()),
                ["data_offsets"] = new JsonArray(JsonValue.Create(offset), JsonValue.Create(offset + bytes.Length)),
            };
            blobs.Add(bytes);
            offset += bytes.Length;
        }

        byte[] json = Encoding.UTF8.GetBytes(header.ToJsonString());
        int padded = (json.Length + 7) / 8 * 8; // The format pads the header with spaces to 8-byte alignment.
        AtomicFile.Write(path, stream =>
        {
            stream.Write(BitConverter.GetBytes((ulong)padded));
            stream.Write(json);
            for (int i = json.Length; i < padded; i++) stream.WriteByte((byte)' ');
            foreach (byte[] blob in blobs) stream.Write(blob);
        });
    }

    /// <summary>Reads every tensor of a safetensors file (on the CPU). The caller owns the tensors.</summary>
    public static Dictionary<string, Tensor> Read(string path) => Read(path, out _);

    /// <summary>
    /// Reads every tensor of a safetensors file (on the CPU) and the string map of its <c>__metadata__</c> entry (empty
    /// when it has none). The caller owns the tensors.
    /// </summary>
    public static Dictionary<string, Tensor> Read(string path, out IReadOnlyDictionary<string, string> metadata)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"No weights file at '{path}'.", path);
        byte[] file = File.ReadAllBytes(path);
        if (file.Length < 8)
            throw Corrupt(path, "it is shorter than the 8-byte header length");
        ulong headerLength = BitConverter.ToUInt64(file, 0);
        if (headerLength > (ulong)(file.Length - 8))
            throw Corrupt(path, $"its header claims {headerLength} bytes but the file has {file.Length - 8} after the length");

        JsonObject header;
        try
        {
            header = JsonNode.Parse(file.AsSpan(8, (int)headerLength))?.AsObject() ?? throw Corrupt(path, "its header is empty");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw Corrupt(path, "its header is not a JSON object (" + e.Message + ")");
        }

        metadata = ReadMetadata(header, path);
        int dataStart = 8 + (int)headerLength;
        var result = new Dictionary<string, Tensor>();
        try
        {
            foreach (var (name, node) in header)
            {
                if (name == "__metadata__") continue;
                try
                {
                    string dtypeName = node!["dtype"]!.GetValue<string>();
                    long[] shape = node["shape"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
                    long[] range = node["data_offsets"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
                    var (dtype, format) = Formats.FirstOrDefault(f => f.Value.Name == dtypeName);
                    if (format.Name is null)
                        throw Corrupt(path, $"tensor '{name}' has unsupported dtype '{dtypeName}'");
                    long count = shape.Aggregate(1L, (a, b) => a * b);
                    if (range.Length != 2 || range[0] < 0 || range[1] < range[0] || dataStart + range[1] > file.Length || range[1] - range[0] != count * format.Bytes)
                        throw Corrupt(path, $"tensor '{name}' has byte range [{string.Join(", ", range)}], which does not fit its shape or the file");
                    var tensor = empty(shape, dtype);
                    file.AsSpan(dataStart + (int)range[0], (int)(range[1] - range[0])).CopyTo(tensor.bytes);
                    result[name] = tensor;
                }
                catch (Exception e) when (e is NullReferenceException or InvalidOperationException or FormatException)
                {
                    throw Corrupt(path, $"the entry of tensor '{name}' is malformed");
                }
            }
        }
        catch
        {
            foreach (var tensor in result.Values) tensor.Dispose();
            throw;
        }
        return result;
    }

    private static Dictionary<string, string> ReadMetadata(JsonObject header, string path)
    {
        var metadata = new Dictionary<string, string>();
        if (!header.TryGetPropertyValue("__metadata__", out var node) || node is null)
            return metadata;
        if (node is not JsonObject entries)
            throw Corrupt(path, "its __metadata__ entry is not a JSON object");
        foreach (var (key, value) in entries)
        {
            if (value is not JsonValue text || !text.TryGetValue(out string? s))
                throw Corrupt(path, $"its __metadata__ entry '{key}' is not a string");
            metadata[key] = s;
        }
        return metadata;
    }

    private static InvalidDataException Corrupt(string path, string why) =>
        new($"'{path}' is not a valid safetensors file: {why}.");
}
