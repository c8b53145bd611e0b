using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Aitbc.Cli.Tests.Infrastructure;
using Aitbc.Coordinator.Tests.Infrastructure;
using Aitbc.Coordinator.Tests.Users;
using NBitcoin;

namespace Aitbc.Cli.Tests;

/// <summary><c>aitbc wallet …</c> as a process against a real Coordinator, with keys made here.</summary>
public sealed class WalletCommandTests
{
    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerOnlyFolder = OwnerOnlyFile | UnixFileMode.UserExecute;

    [Theory]
    [InlineData("p2pkh", true)]
    [InlineData("p2pkh", false)]
    [InlineData("p2sh-p2wpkh", true)]
    [InlineData("p2wpkh", true)]
    public async Task LoginKeepsAPrivateSessionThatBalanceAndLogoutUse(string addressType, bool compressed)
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        var home = new WalletHome(coordinator);
        var key = new Key(compressed);
        var wif = WalletHome.Wif(key);
        var expected = key.PubKey.GetAddress(addressType switch
        {
            "p2pkh" => ScriptPubKeyType.Legacy,
            "p2sh-p2wpkh" => ScriptPubKeyType.SegwitP2SH,
            _ => ScriptPubKeyType.Segwit,
        }, Network.TestNet).ToString();

        var login = await home.RunAsync("wallet", "login", "--key-file", home.WriteKeyFile(wif),
            "--address-type", addressType, "--json");

        Assert.True(login.ExitCode == 0, login.ToString());
        var answer = login.Json();
        Assert.Equal(expected, answer.Str("wallet_address"));
        Assert.Equal("testnet", answer.Str("network"));
        Assert.True(answer["created"]!.GetValue<bool>());
        var userId = answer.Str("user_id");
        Assert.DoesNotContain(wif, login.Stdout + login.Stderr, StringComparison.Ordinal);
        var file = Assert.Single(home.SessionFiles);
        Assert.Equal(file, answer.Str("session_file"));
        Assert.Equal(OwnerOnlyFile, WalletHome.ModeOf(file));
        Assert.Equal(OwnerOnlyFolder, WalletHome.ModeOf(home.SessionFolder));
        Assert.Equal(OwnerOnlyFolder, WalletHome.ModeOf(Path.GetDirectoryName(home.SessionFolder)!));
        Assert.Empty(Directory.GetFiles(home.SessionFolder, "*.tmp"));
        var stored = File.ReadAllText(file);
        Assert.DoesNotContain(wif, stored, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToHexStringLower(key.ToBytes()), stored, StringComparison.Ordinal);
        var token = home.StoredSession().Str("session_token");
        Assert.DoesNotContain(token, login.Stdout + login.Stderr, StringComparison.Ordinal);

        var whoami = await home.RunAsync("wallet", "whoami", "--json");
        Assert.True(whoami.ExitCode == 0, whoami.ToString());
        Assert.Equal(userId, whoami.Json().Str("user_id"));
        Assert.Equal(expected, whoami.Json().Str("wallet_address"));

        await coordinator.GrantAsync(userId, "12.5");
        var balance = await home.RunAsync("wallet", "balance", "--json");
        var text = await home.RunAsync("wallet", "balance");
        var ledger = await home.RunAsync("wallet", "transactions", "--json");

        Assert.True(balance.ExitCode == 0, balance.ToString());
        Assert.Equal("12.5", balance.Json().Str("balance"));
        Assert.Equal("0", balance.Json().Str("held"));
        Assert.Equal("12.5", balance.Json().Str("available"));
        Assert.Contains("12.5 AITBC", text.Stdout, StringComparison.Ordinal);
        var entry = Assert.Single(ledger.Json()["items"]!.AsArray())!;
        Assert.Equal("grant", entry.Str("kind"));
        Assert.Equal("12.5", entry.Str("amount"));

        var logout = await home.RunAsync("wallet", "logout");
        Assert.True(logout.ExitCode == 0, logout.ToString());
        Assert.Empty(home.SessionFiles);
        using var session = coordinator.Session(token);
        using var refused = await session.GetAsync("/v1/users/me");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        var after = await home.RunAsync("wallet", "balance");
        Assert.Equal(4, after.ExitCode);
    }

    [Fact]
    public async Task LoggingInAgainReplacesAndEndsTheOldSessionAndHomeConfigIsTheFallback()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        var home = coordinator.Directory.File("user-home");
        Directory.CreateDirectory(home);
        var wif = WalletHome.Wif(new Key());
        var environment = new Dictionary<string, string> { ["HOME"] = home, ["XDG_CONFIG_HOME"] = "" };
        async Task<CliResult> Run(params string[] args)
        {
            await using var cli = CliProcess.Start(coordinator, null, args, environment);
            var exitCode = await cli.WaitForExitAsync();
            return new CliResult(exitCode, cli.Stdout, cli.Stderr);
        }

        var first = await Run("wallet", "login", "--wif", wif);
        var folder = Path.Combine(home, ".config", "aitbc", "sessions");
        var firstToken = JsonNode.Parse(File.ReadAllText(Assert.Single(Directory.GetFiles(folder))))!
            .Str("session_token");
        var second = await Run("wallet", "login", "--wif", wif);
        var secondToken = JsonNode.Parse(File.ReadAllText(Assert.Single(Directory.GetFiles(folder))))!
            .Str("session_token");

        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Contains("a new account", first.Stdout, StringComparison.Ordinal);
        Assert.Contains("--key-file", first.Stderr, StringComparison.Ordinal);
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.DoesNotContain("a new account", second.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(wif, first.Stdout + first.Stderr + second.Stdout + second.Stderr,
            StringComparison.Ordinal);
        Assert.NotEqual(firstToken, secondToken);
        using var old = coordinator.Session(firstToken);
        using var oldMe = await old.GetAsync("/v1/users/me");
        Assert.Equal(HttpStatusCode.Unauthorized, oldMe.StatusCode);
        using var current = coordinator.Session(secondToken);
        using var me = await current.GetAsync("/v1/users/me");
        Assert.Equal(HttpStatusCode.OK, me.StatusCode);
    }

    [Fact]
    public async Task AKeyFileOthersCanReadIsWarnedAboutAndStdinWorks()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        var home = new WalletHome(coordinator);
        var wif = WalletHome.Wif(new Key());
        var open = home.WriteKeyFile(wif, OwnerOnlyFile | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        var warned = await home.RunAsync("wallet", "login", "--key-file", open, "--json");
        var human = await home.RunAsync("wallet", "login", "--key-file", open);
        var quiet = await home.RunAsync("wallet", "login", "--key-file", home.WriteKeyFile(wif));

        Assert.True(warned.ExitCode == 0, warned.ToString());
        var warning = JsonNode.Parse(warned.Stderr)!["warning"];
        Assert.Equal("key_file_readable", warning.Str("code"));
        Assert.Contains($"chmod 600 {open}", warning.Str("detail"), StringComparison.Ordinal);
        Assert.StartsWith("aitbc: warning: ", human.Stderr, StringComparison.Ordinal);
        Assert.True(quiet.ExitCode == 0, quiet.ToString());
        Assert.Equal("", quiet.Stderr);
        Assert.DoesNotContain(wif, warned.Stdout + warned.Stderr, StringComparison.Ordinal);

        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            ArgumentList = { Path.Combine(AppContext.BaseDirectory, "aitbc.dll"), "wallet", "login", "--key-file", "-",
                "--json" },
            Environment =
            {
                ["AITBC_URL"] = coordinator.BaseAddress.ToString(),
                ["XDG_CONFIG_HOME"] = home.ConfigFolder,
            },
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var piped = Process.Start(start)!;
        await piped.StandardInput.WriteLineAsync(wif);
        piped.StandardInput.Close();
        var stdout = await piped.StandardOutput.ReadToEndAsync();
        var stderr = await piped.StandardError.ReadToEndAsync();
        await piped.WaitForExitAsync();
        Assert.True(piped.ExitCode == 0, stdout + stderr);
        Assert.Equal(warned.Json().Str("user_id"), JsonNode.Parse(stdout)!.Str("user_id"));
    }

    [Fact]
    public async Task BadKeysAreOneLineUsageErrorsThatNeverShowTheKey()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        var home = new WalletHome(coordinator);
        var wif = WalletHome.Wif(new Key());
        var changed = wif[..20] + (wif[20] == 'x' ? 'y' : 'x') + wif[21..];
        var mainnet = WalletHome.Wif(new Key(), Network.Main);
        var uncompressed = WalletHome.Wif(new Key(fCompressedIn: false));

        (string Shown, string[] Args)[] cases =
        [
            (changed, ["wallet", "login", "--wif", changed]),
            (changed, ["wallet", "login", "--key-file", home.WriteKeyFile(changed)]),
            (changed, ["wallet", "login", "--key-file", home.WriteKeyFile(changed), "--json"]),
            (wif[..40], ["wallet", "login", "--wif", wif[..40]]),
            ("not-a-key-at-all", ["wallet", "login", "--wif", "not-a-key-at-all"]),
            (wif, ["wallet", "login", wif]),
            (wif, ["wallet", "login", "--key-file", home.WriteKeyFile(wif), "--wif", wif]),
            (mainnet, ["wallet", "login", "--wif", mainnet, "--network", "testnet"]),
            (uncompressed, ["wallet", "login", "--wif", uncompressed, "--address-type", "p2wpkh"]),
            ("", ["wallet", "login"]),
            ("", ["wallet", "login", "--key-file", Path.Combine(home.Folder, "missing.wif")]),
        ];
        foreach (var (shown, args) in cases)
        {
            var result = await home.RunAsync(args);

            Assert.True(result.ExitCode == 2, $"{string.Join(' ', args)}: {result}");
            Assert.Equal("", result.Stdout);
            Assert.DoesNotContain('\n', result.Stderr);
            Assert.NotEqual("", result.Stderr);
            if (shown.Length > 0)
            {
                Assert.DoesNotContain(shown, result.Stderr, StringComparison.Ordinal);
            }
        }

        Assert.Empty(home.SessionFiles);
    }

    [Fact]
    public async Task WithoutAUsableSessionEveryUserCommandExitsFour()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        var home = new WalletHome(coordinator);

        string[][] commands =
        [
            ["wallet", "balance"], ["wallet", "whoami"], ["wallet", "transactions"], ["wallet", "logout"],
            ["wallet", "keys", "list"], ["exchange", "buy", "--aitbc", "1"],
        ];
        foreach (var args in commands)
        {
            var result = await home.RunAsync(args);

            Assert.True(result.ExitCode == 4, $"{string.Join(' ', args)}: {result}");
            Assert.Equal($"aitbc: Not logged in to {coordinator.BaseAddress.ToString().TrimEnd('/')}; run aitbc "
                + "wallet login first.", result.Stderr);
        }

        var json = await home.RunAsync("wallet", "balance", "--json");
        Assert.Equal("not_logged_in", JsonNode.Parse(json.Stderr)!["error"].Str("code"));

        // Ended on the server: the command says so and forgets the session.
        await home.LoginAsync(new Key());
        using (var session = coordinator.Session(home.StoredSession().Str("session_token")))
        {
            using var logout = await session.PostAsync("/v1/users/logout", null);
            Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        }

        var refused = await home.RunAsync("wallet", "balance");
        Assert.Equal(4, refused.ExitCode);
        Assert.Contains("no longer accepts your session", refused.Stderr, StringComparison.Ordinal);
        Assert.Empty(home.SessionFiles);

        // Ended by the clock: found out here, without asking the server.
        await home.LoginAsync(new Key());
        var stored = home.StoredSession();
        stored["expires_at"] = DateTimeOffset.UtcNow.AddMinutes(-1).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'");
        File.WriteAllText(Assert.Single(home.SessionFiles), stored.ToJsonString());
        var expired = await home.RunAsync("wallet", "whoami");
        Assert.Equal(4, expired.ExitCode);
        Assert.Contains("expired", expired.Stderr, StringComparison.Ordinal);
        Assert.Empty(home.SessionFiles);
    }

    [Fact]
    public async Task UserApiKeysAreCreatedUsedListedAndRevoked()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        var home = new WalletHome(coordinator);
        await home.LoginAsync(new Key());

        var created = await home.RunAsync("wallet", "keys", "create", "--name", "laptop", "--json");
        var keyFile = Path.Combine(home.Folder, "second.key");
        var written = await home.RunAsync("wallet", "keys", "create", "--out", keyFile, "--json");
        var list = await home.RunAsync("wallet", "keys", "list", "--json");

        Assert.True(created.ExitCode == 0, created.ToString());
        var apiKey = created.Json().Str("api_key");
        var keyId = created.Json().Str("key_id");
        Assert.Equal("laptop", created.Json().Str("name"));
        Assert.True(written.ExitCode == 0, written.ToString());
        var secondKey = File.ReadAllText(keyFile).Trim();
        Assert.Equal(OwnerOnlyFile, WalletHome.ModeOf(keyFile));
        Assert.DoesNotContain(secondKey, written.Stdout + written.Stderr, StringComparison.Ordinal);
        Assert.Null(written.Json()["api_key"]);
        var items = list.Json()["items"]!.AsArray();
        Assert.Equal([keyId, written.Json().Str("key_id")], items.Select(i => i!.Str("key_id")));
        Assert.DoesNotContain(apiKey, list.Stdout, StringComparison.Ordinal);
        Assert.All(items, i => Assert.Null(i!["api_key"]));
        var used = await CliProcess.RunAsync(coordinator, apiKey, "client", "list");
        Assert.True(used.ExitCode == 0, used.ToString());
        Assert.Equal(0, (await CliProcess.RunAsync(coordinator, secondKey, "client", "list")).ExitCode);

        var revoked = await home.RunAsync("wallet", "keys", "revoke", keyId);
        var again = await home.RunAsync("wallet", "keys", "revoke", keyId);
        var refused = await CliProcess.RunAsync(coordinator, apiKey, "client", "list");

        Assert.True(revoked.ExitCode == 0, revoked.ToString());
        Assert.Equal(3, again.ExitCode);
        Assert.Equal(4, refused.ExitCode);
        var remaining = await home.RunAsync("wallet", "keys", "list", "--json");
        Assert.Single(remaining.Json()["items"]!.AsArray());
    }
}
