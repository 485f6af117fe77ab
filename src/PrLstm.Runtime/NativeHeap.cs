using System.Runtime.InteropServices;

namespace PrLstm.Runtime;

/// <summary>
/// The C heap that libtorch's CPU tensors live in. glibc's malloc keeps freed blocks for reuse, so a process's resident
/// memory can stay well above what its tensors need (a training step's tensors come and go in many sizes); handing
/// the free blocks back costs a system call now and fresh pages later.
/// </summary>
public static class NativeHeap
{
    private static bool _unavailable;

    /// <summary>How many times <see cref="ReleaseFreeMemory"/> was called on this thread (for tests).</summary>
    [ThreadStatic] internal static long CallsOnThisThread;

    /// <summary>
    /// Hands the heap's free memory back to the system (glibc's <c>malloc_trim(0)</c>) when it holds at least
    /// <paramref name="minimumFreeBytes"/> free (glibc's <c>mallinfo2</c>, over all arenas); nothing where the C library
    /// is not glibc. Returns whether it handed memory back.
    /// </summary>
    public static bool ReleaseFreeMemory(long minimumFreeBytes = 0)
    {
        CallsOnThisThread++;
        if (_unavailable || !OperatingSystem.IsLinux()) return false;
        try
        {
            if (minimumFreeBytes > 0 && (long)MallInfo2().fordblks < minimumFreeBytes) return false;
            MallocTrim(0);
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            _unavailable = true; // musl, glibc before 2.33 (no mallinfo2), other systems
            return false;
        }
    }

    /// <summary>glibc's <c>struct mallinfo2</c>: every field a size_t.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct HeapInfo
    {
        public nuint arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost;
    }

    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);

    [DllImport("libc", EntryPoint = "mallinfo2")]
    private static extern HeapInfo MallInfo2();
}
