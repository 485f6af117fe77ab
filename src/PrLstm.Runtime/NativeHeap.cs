using System.Runtime.InteropServices;

namespace PrLstm.Runtime;

/// <summary>
/// The C heap that libtorch's CPU tensors live in. glibc's malloc keeps freed blocks for reuse, so a process's resident
/// memory can stay well above what its tensors need (a training step's tensors come and go in many sizes).
/// </summary>
public static class NativeHeap
{
    private static bool _unavailable;

    /// <summary>
    /// Hands the heap's free memory back to the system (glibc's <c>malloc_trim(0)</c>); nothing where the C library is
    /// not glibc. Returns whether it ran. It costs a system call now and fresh pages for what is allocated next: called
    /// between a recomputed step's forward and its backward it lowered the step's resident peak (H = 256, B = 64,
    /// T = 512: 1.94 to 1.43 MB per position) for 1.14-1.31x the step's time (docs/performance.md).
    /// </summary>
    public static bool ReleaseFreeMemory()
    {
        if (_unavailable || !OperatingSystem.IsLinux()) return false;
        try
        {
            MallocTrim(0);
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            _unavailable = true; // musl and other C libraries: no malloc_trim
            return false;
        }
    }

    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);
}
