using System.Text.RegularExpressions;

namespace PrLstm.Experiments.Training;

/// <summary>
/// The one process that writes a run folder holds this lock: an exclusive lock (flock on Linux and macOS, a share
/// lock on Windows) on the folder's <c>.prlstm-lock</c> file, which the operating system releases when the process
/// ends, however it ends. A second writer gets a clear error at once instead of both reporting success while one
/// run's files vanish. Readers (eval's and predict's loading) take no lock: checkpoints are written so that a reader
/// sees the previous or the new one (see <see cref="Checkpoints"/>).
/// Taking the lock also removes the temporary files that interrupted atomic saves left behind (no writer can be
/// writing them any more), and releasing it removes a folder that this lock created and nothing else has written to.
/// </summary>
public sealed partial class RunFolderLock : IDisposable
{
    public const string FileName = ".prlstm-lock";

    private readonly FileStream _lock;
    private readonly string _folder;
    private readonly bool _created;

    private RunFolderLock(FileStream handle, string folder, bool created) => (_lock, _folder, _created) = (handle, folder, created);

    /// <summary>
    /// Creates the folder if needed and locks it; throws <see cref="IOException"/> naming the folder if another process
    /// holds it or it cannot be written.
    /// </summary>
    public static RunFolderLock Acquire(string folder)
    {
        bool created = !Directory.Exists(folder);
        string path = Path.Combine(folder, FileName);
        FileStream handle;
        try
        {
            Directory.CreateDirectory(folder);
            handle = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e) when (File.Exists(path) && e is not FileNotFoundException and not DirectoryNotFoundException
            and not PathTooLongException)
        {
            throw new IOException($"'{folder}' is being written by another prlstm process (it holds {FileName}); wait for that run to "
                + $"end, or choose another --out");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"cannot write to '{folder}': {e.Message}");
        }
        foreach (string leftover in Directory.EnumerateFiles(folder, ".*.tmp"))
            if (InterruptedSave().IsMatch(Path.GetFileName(leftover)))
                File.Delete(leftover);
        return new RunFolderLock(handle, folder, created);
    }

    /// <summary>The temporary names <see cref="PrLstm.Runtime.Weights.AtomicFile"/> gives the files a run writes.</summary>
    [GeneratedRegex(@"^\.(checkpoint\.json|weights-[0-9]+\.safetensors|results\.(json|md)|[A-Za-z0-9_.-]+\.png)\.[0-9a-f]{8}\.tmp$")]
    private static partial Regex InterruptedSave();

    public void Dispose()
    {
        _lock.Dispose();
        // A folder made for a run that failed before writing anything (bad input found late) is not left behind empty.
        if (_created && Directory.EnumerateFileSystemEntries(_folder).All(e => Path.GetFileName(e) == FileName))
        {
            try
            {
                File.Delete(Path.Combine(_folder, FileName));
                Directory.Delete(_folder);
            }
            catch (IOException)
            {
                // Another process started writing it meanwhile: leave it.
            }
        }
    }
}
