using System.Text.RegularExpressions;

namespace PrLstm.Experiments;

/// <summary>
/// Recognises an allocation failure, whether .NET's or libtorch's (whose CPU allocator reports "DefaultCPUAllocator:
/// can't allocate memory" or "not enough memory", with C++ frames), and says it in one line.
/// </summary>
public static partial class OutOfMemory
{
    public static bool Is(Exception e) =>
        e is OutOfMemoryException
        || e.Message.Contains("out of memory", StringComparison.OrdinalIgnoreCase)
        || e.Message.Contains("not enough memory", StringComparison.OrdinalIgnoreCase)
        || e.Message.Contains("can't allocate memory", StringComparison.OrdinalIgnoreCase)
        || e.Message.Contains("DefaultCPUAllocator", StringComparison.Ordinal);

    /// <summary>One line: how much was asked for, when the message says it.</summary>
    public static string Describe(Exception e)
    {
        var asked = TriedToAllocate().Match(e.Message);
        return asked.Success && long.TryParse(asked.Groups[1].Value, out long bytes)
            ? $"out of memory (an allocation of {bytes / (1024.0 * 1024 * 1024):F2} GiB failed)"
            : "out of memory";
    }

    [GeneratedRegex(@"tried to allocate (\d+) bytes")]
    private static partial Regex TriedToAllocate();
}
