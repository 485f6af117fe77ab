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

    /// <summary>How many times <see cref="ReleaseFreeMemory"/> has handed memory back on this thread (for tests).</summary>
    [ThreadStatic] internal static long ReleasesOnThisThread;

    /// <summary>
    /// Hands the heap's free memory back to the system (glibc's <c>malloc_trim(0)</c>); nothing where the C library is
    /// not glibc. Returns whether it ran.
    /// </summary>
    public static bool ReleaseFreeMemory()
    {
        if (_unavailable || !OperatingSystem.IsLinux()) return false;
        try
        {
            MallocTrim(0);
            ReleasesOnThisThread++;
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            _unavailable = true; // musl and others: no malloc_trim
            return false;
        }
    }

    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);
}
