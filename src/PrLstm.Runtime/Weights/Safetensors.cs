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
    /// Loads a file into <paramref name="module"/>'s parameters by name. The file must hold exactly the module's names
    /// with the module's shapes and dtypes; this is checked on the file's header, before any tensor is read, and
    /// otherwise nothing is changed and an <see cref="InvalidDataException"/> lists every difference.
    /// </summary>
    public static void Load(nn.Module module, string path)
    {
        var target = module.state_dict();
        var stored = Read(path, header => CheckMatches(module, target, header.Tensors, path));
        try
        {
            CopyInto(target, stored);
        }
        finally
        {
            foreach (var tensor in stored.Values) tensor.Dispose();
        }
    }

    /// <summary>
    /// Copies named tensors into <paramref name="module"/>'s parameters and buffers; the names, shapes and dtypes must
    /// match exactly (a file of another dtype is refused rather than converted), otherwise nothing is changed and an
    /// <see cref="InvalidDataException"/> lists every difference.
    /// </summary>
    public static void LoadInto(nn.Module module, IReadOnlyDictionary<string, Tensor> stored, string source)
    {
        var target = module.state_dict();
        CheckMatches(module, target,
            stored.ToDictionary(kv => kv.Key, kv => new SafetensorsEntry(kv.Key, kv.Value.dtype, kv.Value.shape, 0, 0)), source);
        CopyInto(target, stored);
    }

    /// <summary>Copies every stored tensor into the target tensor of its name; the caller has checked that they match.</summary>
    internal static void CopyInto(IReadOnlyDictionary<string, Tensor> target, IReadOnlyDictionary<string, Tensor> stored)
    {
        using var noGrad = no_grad();
        foreach (var (name, tensor) in target)
            tensor.copy_(stored[name]);
    }

    /// <summary>Throws an <see cref="InvalidDataException"/> listing every name, shape or dtype in which the stored tensors differ from the
    /// module's.</summary>
    public static void CheckMatches(nn.Module module, IReadOnlyDictionary<string, Tensor> target,
        IReadOnlyDictionary<string, SafetensorsEntry> stored, string source)
    {
        var problems = Differences(target.ToDictionary(kv => kv.Key, kv => (kv.Value.dtype, kv.Value.shape)), stored, "the model");
        if (problems.Count > 0)
            throw new InvalidDataException($"The weights in '{source}' do not match this {module.GetName()} model: "
                + $"{string.Join("; ", problems)}.");
    }

    /// <summary>
    /// Every name missing from or unexpected in <paramref name="stored"/>, and every shape or dtype that differs from
    /// <paramref name="expected"/>, each as a phrase naming the tensor; <paramref name="holder"/> ("the model") is
    /// what the expected layout belongs to.
    /// </summary>
    public static List<string> Differences(IReadOnlyDictionary<string, (ScalarType DType, long[] Shape)> expected,
        IReadOnlyDictionary<string, SafetensorsEntry> stored, string holder)
    {
        var problems = new List<string>();
        foreach (var name in expected.Keys.Except(stored.Keys).Order(StringComparer.Ordinal))
            problems.Add($"missing '{name}' [{string.Join(", ", expected[name].Shape)}]");
        foreach (var name in stored.Keys.Except(expected.Keys).Order(StringComparer.Ordinal))
            problems.Add($"unexpected '{name}' [{string.Join(", ", stored[name].Shape)}]");
        foreach (var name in expected.Keys.Intersect(stored.Keys).Order(StringComparer.Ordinal))
        {
            if (!expected[name].Shape.SequenceEqual(stored[name].Shape))
                problems.Add($"'{name}' has shape [{string.Join(", ", stored[name].Shape)}] in the file but "
                    + $"[{string.Join(", ", expected[name].Shape)}] in {holder}");
            if (expected[name].DType != stored[name].DType)
                problems.Add(
                    $"'{name}' is {FormatName(stored[name].DType)} in the file but {FormatName(expected[name].DType)} in {holder}");
        }
        return problems;
    }

    /// <summary>The safetensors name of a dtype (F32, BOOL, ...), or the dtype's own name when the format has none here.</summary>
    public static string FormatName(ScalarType dtype) => Formats.TryGetValue(dtype, out var format) ? format.Name : dtype.ToString();

    /// <summary>Writes named tensors to <paramref name="path"/> atomically.</summary>
    public static void Write(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        var header = new JsonObject();
        if (metadata is { Count: > 0 })
            header["__metadata__"] = new JsonObject(metadata.Select(kv => KeyValuePair.Create(kv.Key,
                (JsonNode?)JsonValue.Create(kv.Value))));
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
        IReadOnlyDictionary<string, string> read = new Dictionary<string, string>();
        var tensors = Read(path, header => read = header.Metadata);
        metadata = read;
        return tensors;
    }

    /// <summary>
    /// Reads a safetensors file: first its header, checked against the format's rules (a header of at most 100 MB that
    /// is a JSON object; for each tensor a known dtype, a shape of non-negative sizes and a byte range that holds exactly
    /// that many elements; the ranges in order, without overlap or hole, covering the data to the end of the file; all
    /// arithmetic checked), then <paramref name="validate"/> on that header (throw to refuse the file before any tensor
    /// is allocated), then each tensor's bytes by its range. The caller owns the tensors.
    /// </summary>
    public static Dictionary<string, Tensor> Read(string path, Action<SafetensorsHeader> validate)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"No weights file at '{path}'.", path);
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
        var header = ReadHeader(file, path);
        validate(header);
        var result = new Dictionary<string, Tensor>();
        try
        {
            foreach (var entry in header.Tensors.Values)
                result[entry.Name] = ReadTensor(file, header.DataStart, entry, path);
        }
        catch
        {
            foreach (var tensor in result.Values) tensor.Dispose();
            throw;
        }
        return result;
    }

    /// <summary>The largest header accepted, as in the format's reference implementation (a guard against a length field that asks for
    /// gigabytes).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private static SafetensorsHeader ReadHeader(FileStream file, string path)
    {
        long fileLength = file.Length;
        if (fileLength < 8)
            throw Corrupt(path, "it is shorter than the 8-byte header length");
        Span<byte> lengthBytes = stackalloc byte[8];
        file.ReadExactly(lengthBytes);
        ulong headerLength = BitConverter.ToUInt64(lengthBytes);
        if (headerLength > MaxHeaderBytes)
            throw Corrupt(path, $"its header length {headerLength} is over the format's limit of {MaxHeaderBytes} bytes");
        if ((long)headerLength > fileLength - 8)
            throw Corrupt(path, $"its header claims {headerLength} bytes but the file has {fileLength - 8} after the length");
        byte[] json = new byte[headerLength];
        file.ReadExactly(json);
        if (headerLength == 0 || json[0] != (byte)'{')
            throw Corrupt(path, "its header is not a JSON object");

        JsonObject root;
        try
        {
            root = JsonNode.Parse(json)?.AsObject() ?? throw Corrupt(path, "its header is empty");
            _ = root.Count; // materialises the properties here, so that a duplicated name is caught here
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException)
        {
            throw Corrupt(path, "its header is not a JSON object (" + OneLine(e.Message) + ")");
        }

        var metadata = ReadMetadata(root, path);
        var entries = new Dictionary<string, SafetensorsEntry>(StringComparer.Ordinal);
        foreach (var (name, node) in root)
        {
            if (name == "__metadata__") continue;
            entries[name] = ReadEntry(name, node, path);
        }

        // The format's own rule: sorted by offset, each range starts where the previous one ended, and the last ends at
        // the end of the file; so no byte is read twice, none is skipped, and nothing trails the data.
        long dataStart = 8 + (long)headerLength, dataLength = fileLength - dataStart, next = 0;
        foreach (var entry in entries.Values.OrderBy(e => e.Start).ThenBy(e => e.End))
        {
            if (entry.Start != next)
                throw Corrupt(path, entry.Start < next
                    ? $"tensor '{entry.Name}' has byte range [{entry.Start}, {entry.End}], which overlaps the tensor before it (ending "
                        + $"at {next})"
                    : $"tensor '{entry.Name}' has byte range [{entry.Start}, {entry.End}], which leaves a hole after byte {next}");
            next = entry.End;
        }
        if (next != dataLength)
            throw Corrupt(path, next > dataLength
                ? $"its tensors need {next} bytes of data but the file has {dataLength} after the header"
                : $"its tensors cover {next} bytes of data but the file has {dataLength} after the header");
        return new SafetensorsHeader(entries, metadata, dataStart);
    }

    private static SafetensorsEntry ReadEntry(string name, JsonNode? node, string path)
    {
        InvalidDataException Bad(string why) => Corrupt(path, $"tensor '{name}' {why}");
        if (node is not JsonObject entry)
            throw Bad("is not a JSON object");
        foreach (var (key, _) in entry)
            if (key is not ("dtype" or "shape" or "data_offsets"))
                throw Bad($"has an unknown field '{key}'");
        if (entry["dtype"] is not JsonValue dtypeNode || !dtypeNode.TryGetValue(out string? dtypeName))
            throw Bad("has no dtype string");
        var (dtype, format) = Formats.FirstOrDefault(f => f.Value.Name == dtypeName);
        if (format.Name is null)
            throw Bad($"has unsupported dtype '{dtypeName}'");
        long[] shape = Integers(entry["shape"], "shape", null);
        long[] range = Integers(entry["data_offsets"], "data_offsets", 2);
        long count = 1;
        try
        {
            foreach (long size in shape) count = checked(count * size);
            long bytes = checked(count * format.Bytes);
            if (range[1] < range[0] || checked(range[1] - range[0]) != bytes)
                throw Bad($"has byte range [{range[0]}, {range[1]}], but its shape [{string.Join(", ", shape)}] of {dtypeName} takes "
                    + $"{bytes} bytes");
        }
        catch (OverflowException)
        {
            throw Bad($"has shape [{string.Join(", ", shape)}], whose size overflows");
        }
        return new SafetensorsEntry(name, dtype, shape, range[0], range[1]);

        long[] Integers(JsonNode? value, string field, int? length)
        {
            if (value is not JsonArray array)
                throw Bad($"has no {field} array");
            if (length is int n && array.Count != n)
                throw Bad($"has {array.Count} {field} where the format has {n}");
            var numbers = new long[array.Count];
            for (int i = 0; i < array.Count; i++)
                if (array[i] is not JsonValue number || !number.TryGetValue(out long v) || v < 0)
                    throw Bad($"has {field} [{string.Join(", ", array.Select(a => a?.ToJsonString() ?? "null"))}], which are not all "
                        + $"non-negative integers");
                else
                    numbers[i] = v;
            return numbers;
        }
    }

    /// <summary>Reads one tensor's bytes straight into a new tensor, in pieces of at most 1 GiB (a span cannot be longer than 2
    /// GiB).</summary>
    private static Tensor ReadTensor(FileStream file, long dataStart, SafetensorsEntry entry, string path)
    {
        var tensor = empty(entry.Shape, entry.DType);
        try
        {
            long count = tensor.numel(), elementBytes = tensor.element_size();
            if (count == 0) return tensor;
            file.Position = dataStart + entry.Start;
            using var flat = tensor.view(count);
            long perPiece = Math.Max(1, (1L << 30) / elementBytes);
            for (long first = 0; first < count; first += perPiece)
            {
                using var piece = flat.narrow(0, first, Math.Min(perPiece, count - first));
                file.ReadExactly(piece.bytes);
            }
            return tensor;
        }
        catch (EndOfStreamException)
        {
            tensor.Dispose();
            throw Corrupt(path, $"it ended while reading tensor '{entry.Name}' (was it changed while being read?)");
        }
        catch
        {
            tensor.Dispose();
            throw;
        }
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ");

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

/// <summary>One tensor in a safetensors header: its dtype, shape and byte range within the data section.</summary>
public sealed record SafetensorsEntry(string Name, ScalarType DType, long[] Shape, long Start, long End);

/// <summary>A safetensors file's checked header: its tensors by name, its <c>__metadata__</c> strings, where the data starts.</summary>
public sealed record SafetensorsHeader(IReadOnlyDictionary<string, SafetensorsEntry> Tensors, IReadOnlyDictionary<string, string> Metadata,
    long DataStart);
