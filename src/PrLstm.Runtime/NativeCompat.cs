using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace PrLstm.Runtime;

/// <summary>
/// Loads the libstdc++ compatibility shim that the build places beside the application on Linux systems
/// older than GCC 13 (see build/PrLstm.NativeCompat.targets). It must be loaded with RTLD_GLOBAL before
/// TorchSharp loads libLibTorchSharp.so, so this runs from module initializers: this assembly's and the
/// one the build adds to every project that uses PrLstm.Runtime. Elsewhere (no shim file) it does nothing.
/// </summary>
public static class NativeCompat
{
    /// <summary>File name of the shim the build compiles into the output folder when it is needed.</summary>
    public const string ShimFileName = "libprlstm_glibcxx_shim.so";

    private const int RtldNow = 0x2;
    private const int RtldGlobal = 0x100;
    private static readonly object Gate = new();
    private static bool _done;

    /// <summary>True when the shim was found and loaded in this process.</summary>
    public static bool ShimLoaded { get; private set; }

    /// <summary>Loads the shim if it is present; safe to call any number of times.</summary>
    public static void EnsureLoaded()
    {
        lock (Gate)
        {
            if (_done) return;
            _done = true;
            if (!OperatingSystem.IsLinux()) return;
            string path = Path.Combine(AppContext.BaseDirectory, ShimFileName);
            if (!File.Exists(path)) return;
            if (dlopen(path, RtldNow | RtldGlobal) == IntPtr.Zero)
            {
                string reason = Marshal.PtrToStringAnsi(dlerror()) ?? "unknown error";
                throw new DllNotFoundException($"PrLstm could not load its libstdc++ shim '{path}': {reason}. Rebuild the project; the "
                    + $"build recompiles it.");
            }
            ShimLoaded = true;
        }
    }

#pragma warning disable CA2255 // Module initializers in libraries: intended, it must run before TorchSharp loads.
    [ModuleInitializer]
    internal static void InitializeModule() => EnsureLoaded();
#pragma warning restore CA2255

    [DllImport("libc.so.6", CharSet = CharSet.Ansi)]
    private static extern IntPtr dlopen(string fileName, int flags);

    [DllImport("libc.so.6")]
    private static extern IntPtr dlerror();
}
