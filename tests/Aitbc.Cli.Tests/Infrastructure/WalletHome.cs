using System.Text.Json.Nodes;
using Aitbc.Coordinator.Tests.Infrastructure;
using NBitcoin;

namespace Aitbc.Cli.Tests.Infrastructure;

/// <summary>
/// One user's machine for <c>aitbc wallet</c> and <c>aitbc exchange</c>: a config folder of its own
/// (<c>XDG_CONFIG_HOME</c>) inside the test's folder, and key files beside it. No API key is passed unless asked.
/// </summary>
public sealed class WalletHome(TestCoordinator coordinator, string name = "home")
{
    public string Folder { get; } = CreateFolder(coordinator.Directory.File(name));

    public string ConfigFolder => Path.Combine(Folder, "config");

    public string SessionFolder => Path.Combine(ConfigFolder, "aitbc", "sessions");

    public IReadOnlyList<string> SessionFiles =>
        Directory.Exists(SessionFolder) ? Directory.GetFiles(SessionFolder) : [];

    public Task<CliResult> RunAsync(params string[] args) => RunWithKeyAsync(null, args);

    public async Task<CliResult> RunWithKeyAsync(string? apiKey, params string[] args)
    {
        var environment = new Dictionary<string, string> { ["XDG_CONFIG_HOME"] = ConfigFolder };
        await using var cli = CliProcess.Start(coordinator, apiKey, args, environment);
        var exitCode = await cli.WaitForExitAsync();
        return new CliResult(exitCode, cli.Stdout, cli.Stderr);
    }

    /// <summary>Writes the key's WIF to a file of the given mode, as a user keeps it.</summary>
    public string WriteKeyFile(string wif, UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite)
    {
        var path = Path.Combine(Folder, $"key-{Guid.NewGuid():N}.wif");
        File.WriteAllText(path, wif + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, mode);
        }

        return path;
    }

    /// <summary>The file's Unix mode; the tests that check modes run where there are modes.</summary>
    public static UnixFileMode ModeOf(string path) => OperatingSystem.IsWindows()
        ? throw new PlatformNotSupportedException("Unix file modes only.")
        : File.GetUnixFileMode(path);

    /// <summary>Logs in through the command with a key file and returns the login's JSON answer.</summary>
    public async Task<JsonNode> LoginAsync(Key key, string addressType = "p2wpkh")
    {
        var login = await RunAsync("wallet", "login", "--key-file", WriteKeyFile(Wif(key)),
            "--address-type", addressType, "--json");
        Assert.True(login.ExitCode == 0, login.ToString());
        return login.Json();
    }

    /// <summary>The session file's JSON: the one stored session of this home.</summary>
    public JsonNode StoredSession() => JsonNode.Parse(File.ReadAllText(Assert.Single(SessionFiles)))!;

    public static string Wif(Key key, Network? network = null) => key.GetWif(network ?? Network.TestNet).ToString();

    private static string CreateFolder(string path)
    {
        Directory.CreateDirectory(path);
        return path;
    }
}
