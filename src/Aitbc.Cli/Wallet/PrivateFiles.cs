namespace Aitbc.Cli.Wallet;

/// <summary>
/// Files only their owner may read: the user's config folder (<c>$XDG_CONFIG_HOME/aitbc</c>, else
/// <c>~/.config/aitbc</c>), folders of mode 0700 and files of mode 0600 written whole or not at all.
/// </summary>
internal static class PrivateFiles
{
    private const UnixFileMode OwnerOnlyFolder =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private const UnixFileMode GroupOrOthers =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>The aitbc folder in the user's config folder, as the XDG base directory spec places it.</summary>
    public static string ConfigFolder()
    {
        // The spec says a relative XDG_CONFIG_HOME is invalid and must be ignored, and an empty one is unset.
        var xdg = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME");
        if (!string.IsNullOrEmpty(xdg) && Path.IsPathRooted(xdg))
        {
            return Path.Combine(xdg, "aitbc");
        }

        var home = Environment.GetEnvironmentVariable("HOME");
        if (string.IsNullOrEmpty(home))
        {
            home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        }

        return string.IsNullOrEmpty(home)
            ? throw new UsageException("Neither XDG_CONFIG_HOME nor HOME is set: there is no config folder.")
            : Path.Combine(home, ".config", "aitbc");
    }

    /// <summary>Creates the folder (and missing parents) as 0700, and takes group and others' access away.</summary>
    public static void EnsureFolder(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            // The profile's ACLs already keep other users out.
            Directory.CreateDirectory(path);
            return;
        }

        Directory.CreateDirectory(path, OwnerOnlyFolder);
        if ((File.GetUnixFileMode(path) & GroupOrOthers) != 0)
        {
            File.SetUnixFileMode(path, OwnerOnlyFolder);
        }
    }

    /// <summary>
    /// Replaces <paramref name="path"/> with <paramref name="content"/> at once: a temporary file beside it,
    /// created with mode 0600 (the umask can only narrow it), is synced and renamed over it. A reader sees the old
    /// file or the new one, never a part, and no one else can read it at any moment. The folder must exist.
    /// </summary>
    public static void WriteAtomically(string path, ReadOnlySpan<byte> content)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var temporary = Path.Combine(folder, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.None,
        };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnlyFile;
        }

        try
        {
            using (var stream = new FileStream(temporary, options))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>True when a group or other users may read the file (never on Windows: it has no such bits).</summary>
    public static bool ReadableByOthers(string path) =>
        !OperatingSystem.IsWindows()
        && (File.GetUnixFileMode(path) & (UnixFileMode.GroupRead | UnixFileMode.OtherRead)) != 0;
}
