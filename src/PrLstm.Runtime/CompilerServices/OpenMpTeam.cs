using System.Runtime.InteropServices;

namespace PrLstm.Runtime.CompilerServices;

/// <summary>
/// Runs a loop on libtorch's own OpenMP threads: the team that the libgomp libtorch loaded gives the calling thread,
/// of <c>torch.get_num_threads()</c> threads. A fused kernel between two libtorch operations then works on the threads
/// those operations use, which are still spinning when it starts and when it ends, instead of on .NET's thread pool,
/// whose threads compete with them for the cores (docs/performance.md, "Fused kernels").
/// </summary>
internal static unsafe class OpenMpTeam
{
    /// <summary>libgomp's <c>GOMP_parallel(fn, data, num_threads, flags)</c>: fn(data) on every thread of a team.</summary>
    private static delegate* unmanaged<delegate* unmanaged<IntPtr, void>, IntPtr, uint, uint, void> _parallel;

    private const int Unknown = 0, Found = 1, Missing = 2;

    /// <summary>Unknown until libtorch is loaded and libgomp was looked for among its libraries.</summary>
    private static volatile int _state;

    private static readonly object Gate = new();

    /// <summary>
    /// True when this process has loaded libgomp (libtorch's OpenMP runtime on Linux). Elsewhere (Windows, macOS, a
    /// libtorch built with another OpenMP) the kernels use .NET's thread pool.
    /// </summary>
    public static bool Available => _state == Unknown ? Resolve() : _state == Found;

    private static bool Resolve()
    {
        lock (Gate)
        {
            if (_state != Unknown) return _state == Found;
            if (!OperatingSystem.IsLinux())
            {
                _state = Missing;
                return false;
            }
            var libraries = File.ReadLines("/proc/self/maps")
                .Select(line => line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries))
                .Where(fields => fields.Length == 6)
                .Select(fields => fields[5].Trim())
                .Distinct()
                .ToList();
            // Before libtorch is loaded there is nothing to find yet: ask again later.
            if (!libraries.Any(path => Path.GetFileName(path).StartsWith("libtorch_cpu", StringComparison.Ordinal))) return false;
            string? libgomp = libraries.FirstOrDefault(path => Path.GetFileName(path).StartsWith("libgomp", StringComparison.Ordinal));
            // Loading a library that is already loaded returns it: this is libtorch's libgomp, with its thread pools.
            if (libgomp is not null && NativeLibrary.TryLoad(libgomp, out var library)
                && NativeLibrary.TryGetExport(library, "GOMP_parallel", out var entry))
                _parallel = (delegate* unmanaged<delegate* unmanaged<IntPtr, void>, IntPtr, uint, uint, void>)entry;
            _state = _parallel != null ? Found : Missing;
            return _state == Found;
        }
    }

    /// <summary>
    /// Runs <paramref name="body"/> for every index in [0, <paramref name="count"/>), indices handed out one by one as
    /// the team's threads ask, the calling thread among them. An exception of the body stops the handing out and is
    /// rethrown here, wrapped in an <see cref="AggregateException"/> as Parallel.For does.
    /// </summary>
    /// <exception cref="InvalidOperationException">When libgomp is not <see cref="Available"/>.</exception>
    public static void For(long count, Action<long> body)
    {
        if (!Available) throw new InvalidOperationException("libgomp is not loaded in this process.");
        var loop = new Loop(count, body);
        var handle = GCHandle.Alloc(loop);
        try
        {
            // num_threads 0: the calling thread's OpenMP setting, which torch.set_num_threads sets.
            _parallel(&Member, GCHandle.ToIntPtr(handle), 0, 0);
        }
        finally
        {
            handle.Free();
        }
        if (loop.Failure is not null) throw new AggregateException(loop.Failure);
    }

    /// <summary>What every thread of the team runs. Nothing may escape it: an exception cannot cross into libgomp.</summary>
    [UnmanagedCallersOnly]
    private static void Member(IntPtr loop) => ((Loop)GCHandle.FromIntPtr(loop).Target!).Work();

    private sealed class Loop(long count, Action<long> body)
    {
        private long _next = -1;
        public Exception? Failure;

        public void Work()
        {
            try
            {
                long index;
                while ((index = Interlocked.Increment(ref _next)) < count) body(index);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref Failure, e, null);
                Interlocked.Exchange(ref _next, count);
            }
        }
    }
}
