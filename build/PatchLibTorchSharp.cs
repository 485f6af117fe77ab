// MSBuild task, compiled inline by RoslynCodeTaskFactory (see PrLstm.NativeCompat.targets).
#nullable enable
//
// TorchSharp 0.107's libLibTorchSharp.so imports one symbol, std::ios_base_library_init(), with version
// GLIBCXX_3.4.32, which only GCC 13+ libstdc++ provides. On older systems (Debian 12, Ubuntu 22.04) the
// dynamic loader refuses the library. This task edits a *copy* in the build output, in place, so that:
//   1. the symbol's entry in .gnu.version is cleared (0: an unversioned import), and
//   2. the GLIBCXX_3.4.32 entry in .gnu.version_r is marked VER_FLG_WEAK (a missing version is then only
//      a warning for the loader).
// The function itself then comes from libprlstm_glibcxx_shim.so, loaded with RTLD_GLOBAL first.
// Both edits keep the file size; running the task twice is harmless.
using System;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

public sealed class PatchLibTorchSharp : Task
{
    private const uint ShtDynsym = 11;
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const uint ShtGnuVersym = 0x6fffffff;
    private const ushort VerFlagWeak = 0x2;
    private const string MissingVersion = "GLIBCXX_3.4.32";
    private const string AllowedSymbol = "_ZSt21ios_base_library_initv";

    /// <summary>The copy of libLibTorchSharp.so to edit.</summary>
    [Required]
    public string LibraryPath { get; set; } = "";

    /// <summary>
    /// "patched" or "already-patched" (the shim is needed), or "not-needed" (the system's libstdc++ has the
    /// version, or the library does not ask for it).
    /// </summary>
    [Output]
    public string Result { get; set; } = "";

    public override bool Execute()
    {
        try
        {
            Result = SystemHasVersion() ? "not-needed" : Patch(LibraryPath);
            Log.LogMessage(MessageImportance.Low, "PrLstm: " + LibraryPath + ": " + Result);
            return true;
        }
        catch (Exception e) when (e is IOException || e is InvalidDataException || e is UnauthorizedAccessException)
        {
            Log.LogError("PrLstm: cannot patch " + LibraryPath + " for this system's libstdc++: " + e.Message);
            return false;
        }
    }

    private static string Patch(string path)
    {
        byte[] elf = File.ReadAllBytes(path);
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F' || elf[4] != 2
            || elf[5] != 1)
            throw new InvalidDataException("not a 64-bit little-endian ELF file");

        long sectionTable = (long)U64(elf, 0x28);
        int sectionSize = U16(elf, 0x3A), sectionCount = U16(elf, 0x3C);
        Section? dynsym = null, versym = null, verneed = null;
        for (int i = 0; i < sectionCount; i++)
        {
            var s = Section.Read(elf, sectionTable + (long)i * sectionSize);
            if (s.Type == ShtDynsym) dynsym = s;
            else if (s.Type == ShtGnuVersym) versym = s;
            else if (s.Type == ShtGnuVerneed) verneed = s;
        }
        if (dynsym == null || versym == null || verneed == null)
            return "not-needed";

        var dynstr = Section.Read(elf, sectionTable + (long)verneed.Link * sectionSize);

        // Find the vernaux entry of the missing version; its 'other' field is the index that symbols use.
        int versionIndex = -1;
        long auxFlagsOffset = -1;
        long need = verneed.Offset;
        while (true)
        {
            int auxCount = U16(elf, need + 2);
            long aux = need + U32(elf, need + 8);
            for (int a = 0; a < auxCount; a++)
            {
                if (CString(elf, dynstr.Offset + U32(elf, aux + 8)) == MissingVersion)
                {
                    versionIndex = U16(elf, aux + 6);
                    auxFlagsOffset = aux + 4;
                }
                aux += U32(elf, aux + 12);
            }
            uint next = U32(elf, need + 12);
            if (next == 0) break;
            need += next;
        }
        if (versionIndex < 0)
            return "not-needed";

        // Every symbol still bound to that version must be the one the shim provides.
        var symbolNames = Section.Read(elf, sectionTable + (long)dynsym.Link * sectionSize);
        long symbolCount = (long)(dynsym.Size / 24);
        bool changed = false;
        for (long i = 0; i < symbolCount; i++)
        {
            long versymEntry = versym.Offset + i * 2;
            if ((U16(elf, versymEntry) & 0x7fff) != versionIndex) continue;
            string name = CString(elf, symbolNames.Offset + U32(elf, dynsym.Offset + i * 24));
            if (name != AllowedSymbol)
                throw new InvalidDataException("symbol " + name + " needs " + MissingVersion + "; only " + AllowedSymbol
                    + " can be provided by the PrLstm shim");
            elf[versymEntry] = 0;
            elf[versymEntry + 1] = 0;
            changed = true;
        }

        ushort flags = U16(elf, auxFlagsOffset);
        if ((flags & VerFlagWeak) == 0)
        {
            flags |= VerFlagWeak;
            elf[auxFlagsOffset] = (byte)flags;
            elf[auxFlagsOffset + 1] = (byte)(flags >> 8);
            changed = true;
        }
        if (!changed)
            return "already-patched";

        // Write beside, then replace, so an interrupted build never leaves a half-written library.
        string temp = path + ".prlstm-tmp";
        File.WriteAllBytes(temp, elf);
        File.Replace(temp, path, null);
        return "patched";
    }

    // A system whose libstdc++ already defines the version needs nothing, and its files stay untouched.
    private static readonly string[] LibStdCxxCandidates =
    {
        "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6",
        "/usr/lib/aarch64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6",
    };

    private static bool SystemHasVersion()
    {
        foreach (string candidate in LibStdCxxCandidates)
        {
            if (!File.Exists(candidate)) continue;
            return Contains(File.ReadAllBytes(candidate), Encoding.ASCII.GetBytes(MissingVersion + "\0"));
        }
        return false;
    }

    private static bool Contains(byte[] haystack, byte[] needle)
    {
        for (int i = 0; i + needle.Length <= haystack.Length; i++)
        {
            int j = 0;
            while (j < needle.Length && haystack[i + j] == needle[j]) j++;
            if (j == needle.Length) return true;
        }
        return false;
    }

    private sealed class Section
    {
        public uint Type;
        public long Offset;
        public ulong Size;
        public uint Link;

        public static Section Read(byte[] elf, long at) => new Section
        {
            Type = U32(elf, at + 4),
            Offset = (long)U64(elf, at + 24),
            Size = U64(elf, at + 32),
            Link = U32(elf, at + 40),
        };
    }

    private static ushort U16(byte[] b, long at) => (ushort)(b[at] | b[at + 1] << 8);
    private static uint U32(byte[] b, long at) => (uint)(U16(b, at) | U16(b, at + 2) << 16);
    private static ulong U64(byte[] b, long at) => U32(b, at) | (ulong)U32(b, at + 4) << 32;

    private static string CString(byte[] b, long at)
    {
        long end = at;
        while (b[end] != 0) end++;
        return Encoding.ASCII.GetString(b, (int)at, (int)(end - at));
    }
}
