using System.Security.Cryptography;

namespace Aitbc.Coordinator.Auth;

/// <summary>
/// Secrets the Coordinator generates for itself when none is configured, kept in files readable by its own user
/// only, beside the SQLite database, so a restart finds the same ones.
/// </summary>
internal static class StateFiles
{
    public static string ReadOrCreate(string path, Func<string> create, out bool created)
    {
        created = false;
        if (File.Exists(path))
        {
            return File.ReadAllText(path).Trim();
        }

        var value = create();
        var temporary = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var writer = new StreamWriter(temporary, System.Text.Encoding.ASCII, options))
        {
            writer.Write(value);
            writer.Flush();
            ((FileStream)writer.BaseStream).Flush(flushToDisk: true);
        }

        // Rename, so a crash never leaves half a key that a restart would take for the real one.
        File.Move(temporary, path, overwrite: false);
        created = true;
        return value;
    }

    public static string RandomHex(int bytes) => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(bytes));
}
