using System.CommandLine;
using System.Globalization;
using System.Text;
using Aitbc.Cli.Wallet;
using Aitbc.Client;
using Aitbc.Client.Users;
using Spectre.Console;

namespace Aitbc.Cli.Commands;

/// <summary>
/// <c>aitbc wallet …</c>: log in with a Bitcoin key, keep the session in the config folder, and use it for the
/// user's balance, ledger and API keys.
/// </summary>
internal static class WalletCommands
{
    public static Command Create(GlobalOptions globals)
    {
        var wallet = new Command("wallet", "Log in with a Bitcoin wallet and see your AITBC account.");
        wallet.Subcommands.Add(Login(globals));
        wallet.Subcommands.Add(Logout(globals));
        wallet.Subcommands.Add(WhoAmI(globals));
        wallet.Subcommands.Add(Balance(globals));
        wallet.Subcommands.Add(Transactions(globals));
        wallet.Subcommands.Add(Keys(globals));
        return wallet;
    }

    private static Command Login(GlobalOptions globals)
    {
        var wif = new Option<string?>("--wif")
        {
            Description = "The private key (WIF). Shows in process lists: prefer --key-file.",
        };
        var keyFile = new Option<string?>("--key-file")
        {
            Description = "A file holding the private key (WIF), mode 0600; - reads it from stdin.",
        };
        var addressType = new Option<string>("--address-type")
        {
            Description = "The address to log in as: p2pkh (1…/m…), p2sh-p2wpkh (3…/2…) "
                + "or p2wpkh (bc1…/tb1…). Default p2wpkh.",
            DefaultValueFactory = _ => "p2wpkh",
        };
        addressType.AcceptOnlyFromAmong("p2pkh", "p2sh-p2wpkh", "p2wpkh");
        var network = new Option<string?>("--network")
        {
            Description = "Which test network a test key is for; testnet, signet and regtest keys look the same. "
                + "Default: from the key (mainnet or testnet).",
        };
        network.AcceptOnlyFromAmong("mainnet", "testnet", "signet", "regtest");
        var command = new Command("login", "Sign the Coordinator's login challenge with your key and keep the session.")
        {
            wif, keyFile, addressType, network,
        };
        command.SetGuardedAction(globals, async (parsed, output, cancel) =>
        {
            var key = WalletKey.Parse(ReadWif(parsed.GetValue(wif), parsed.GetValue(keyFile), output),
                WalletKey.ParseType(parsed.GetValue(addressType)!), parsed.GetValue(network));
            var url = globals.ResolveUrl(parsed);
            using var api = new AitbcClient(url, apiKey: null);
            var challenge = await api.Users.ChallengeAsync(key.Address, cancel);
            CheckChallenge(challenge, key.Address);
            var login = await api.Users.LoginAsync(
                new LoginRequest(key.Address, challenge.Message, key.SignMessage(challenge.Message)), cancel);

            var store = SessionStore.ForUser();
            var previous = store.TryLoad(url, DateTimeOffset.UtcNow);
            var path = store.Save(new StoredSession(SessionStore.Normalize(url), login.UserId, login.WalletAddress,
                login.SessionToken, login.ExpiresAt, DateTimeOffset.UtcNow));
            if (previous is not null && previous.SessionToken != login.SessionToken)
            {
                await RevokeQuietlyAsync(url, previous.SessionToken, cancel);
            }

            var answer = new LoginAnswer(SessionStore.Normalize(url), login.UserId, login.WalletAddress,
                WalletKey.TypeName(key.Type), key.NetworkName, login.ExpiresAt,
                login.Created, path);
            output.Data(answer, () => output.Line(
                $"Logged in to {answer.CoordinatorUrl} as {answer.UserId} ({answer.WalletAddress})"
                + $"{(login.Created ? ", a new account" : "")}; the session lasts until {Time(login.ExpiresAt)}."));
            if (parsed.GetValue(wif) is not null)
            {
                output.Note("aitbc: note: --wif shows the key in process lists; --key-file keeps it out of them.");
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Logout(GlobalOptions globals)
    {
        var command = new Command("logout", "End the session on the Coordinator and delete it here.");
        command.SetSessionAction(globals, async (parsed, output, context, cancel) =>
        {
            try
            {
                await context.Api.Users.LogoutAsync(cancel);
            }
            catch (AitbcAuthException e) when (e.Status == 401)
            {
                // Already over on the server (expired, or logged out elsewhere): only the file is left to remove.
            }

            context.Store.Delete(context.Url);
            var answer = new { CoordinatorUrl = SessionStore.Normalize(context.Url), context.Session.UserId };
            output.Data(answer, () => output.Line($"Logged out of {answer.CoordinatorUrl}."));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command WhoAmI(GlobalOptions globals)
    {
        var command = new Command("whoami", "Show the logged-in user and when the session ends.");
        command.SetSessionAction(globals, async (parsed, output, context, cancel) =>
        {
            var me = await context.Api.Users.MeAsync(cancel);
            var answer = new WhoAmIAnswer(context.Session.CoordinatorUrl, me.UserId, me.WalletAddress, me.CreatedAt,
                context.Session.ExpiresAt);
            output.Data(answer, () => Show(
                ("user_id", answer.UserId),
                ("wallet_address", answer.WalletAddress),
                ("coordinator", answer.CoordinatorUrl),
                ("created_at", Time(answer.CreatedAt)),
                ("session_expires_at", Time(answer.SessionExpiresAt))));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Balance(GlobalOptions globals)
    {
        var command = new Command("balance", "Show your AITBC: the balance, what running jobs hold, what is free.");
        command.SetSessionAction(globals, async (parsed, output, context, cancel) =>
        {
            var balance = await context.Api.Users.GetBalanceAsync(context.Session.UserId, cancel);
            output.Data(balance, () => Show(
                ("balance", $"{AitbcAmountConverter.Format(balance.Balance)} {balance.Currency}"),
                ("held", $"{AitbcAmountConverter.Format(balance.Held)} {balance.Currency}"),
                ("available", $"{AitbcAmountConverter.Format(balance.Available)} {balance.Currency}")));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Transactions(GlobalOptions globals)
    {
        var limit = new Option<int?>("--limit") { Description = "Page size, 1 to 200. Default 50." };
        var cursor = new Option<string?>("--cursor") { Description = "The next_cursor of the previous page." };
        var all = new Option<bool>("--all") { Description = "Follow the cursors and list every entry." };
        var command = new Command("transactions", "List the movements of your AITBC, newest first.")
        {
            limit, cursor, all,
        };
        limit.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int?>() is < 1 or > 200)
            {
                result.AddError("--limit must be from 1 to 200.");
            }
        });
        command.SetSessionAction(globals, async (parsed, output, context, cancel) =>
        {
            var query = new LedgerQuery { Limit = parsed.GetValue(limit), Cursor = parsed.GetValue(cursor) };

            LedgerPage page;
            if (parsed.GetValue(all))
            {
                var items = new List<LedgerEntry>();
                await foreach (var entry in context.Api.Users.ListAllTransactionsAsync(
                    context.Session.UserId, query, cancel))
                {
                    items.Add(entry);
                }

                page = new LedgerPage(items, null);
            }
            else
            {
                page = await context.Api.Users.ListTransactionsAsync(context.Session.UserId, query, cancel);
            }

            output.Data(page, () => ShowLedger(page));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Keys(GlobalOptions globals)
    {
        var keys = new Command("keys", "Client API keys billed to your account.");

        var name = new Option<string?>("--name") { Description = "A name to tell the key apart, as in laptop." };
        var outFile = new Option<string?>("--out")
        {
            Description = "Write the key to this file (mode 0600) instead of printing it.",
        };
        var create = new Command("create", "Create a key; it is shown once, here.") { name, outFile };
        create.SetSessionAction(globals, async (parsed, output, context, cancel) =>
        {
            var path = parsed.GetValue(outFile);
            if (path is not null && !Directory.Exists(Path.GetDirectoryName(Path.GetFullPath(path))))
            {
                throw new UsageException($"--out: the folder of {path} does not exist.");
            }

            var key = await context.Api.Users.CreateApiKeyAsync(parsed.GetValue(name), cancel);
            if (path is null)
            {
                output.Data(key, () =>
                {
                    output.Line(key.ApiKey);
                    output.Note($"{key.KeyId} ({key.Name}) created; the key above is shown only this once.");
                });
                return ExitCodes.Success;
            }

            PrivateFiles.WriteAtomically(path, Encoding.UTF8.GetBytes(key.ApiKey + "\n"));
            var answer = new { key.KeyId, key.Name, key.Prefix, key.CreatedAt, KeyFile = Path.GetFullPath(path) };
            output.Data(answer, () => output.Line($"{key.KeyId} ({key.Name}) created; the key is in {path}."));
            return ExitCodes.Success;
        });
        keys.Subcommands.Add(create);

        var list = new Command("list", "List your live keys (never the keys themselves).");
        list.SetSessionAction(globals, async (parsed, output, context, cancel) =>
        {
            var items = await context.Api.Users.ListApiKeysAsync(cancel);
            output.Data(new { Items = items }, () =>
            {
                var table = new Table().AddColumns("key_id", "name", "prefix", "created_at", "last_used_at");
                foreach (var key in items)
                {
                    table.AddRow(Markup.Escape(key.KeyId), Markup.Escape(key.Name), Markup.Escape(key.Prefix),
                        Time(key.CreatedAt), key.LastUsedAt is { } used ? Time(used) : "-");
                }

                AnsiConsole.Write(table);
            });
            return ExitCodes.Success;
        });
        keys.Subcommands.Add(list);

        var id = new Argument<string>("key-id") { Description = "The key's id (key_…)." };
        var revoke = new Command("revoke", "Revoke one of your keys, at once.") { id };
        revoke.SetSessionAction(globals, async (parsed, output, context, cancel) =>
        {
            var keyId = parsed.GetValue(id)!;
            await context.Api.Users.RevokeApiKeyAsync(keyId, cancel);
            output.Data(new { KeyId = keyId, Revoked = true }, () => output.Line($"{keyId} revoked."));
            return ExitCodes.Success;
        });
        keys.Subcommands.Add(revoke);
        return keys;
    }

    /// <summary>The WIF from exactly one of the two options, never echoed in any message.</summary>
    private static string ReadWif(string? wif, string? keyFile, Output output)
    {
        if ((wif is null) == (keyFile is null))
        {
            throw new UsageException("Give the key with --key-file FILE (or --key-file - for stdin), or --wif.");
        }

        if (wif is not null)
        {
            return wif;
        }

        if (keyFile == "-")
        {
            return Console.In.ReadToEnd();
        }

        try
        {
            if (PrivateFiles.ReadableByOthers(keyFile!))
            {
                output.Warning("key_file_readable",
                    $"{keyFile} can be read by other users; make it private with: chmod 600 {keyFile}");
            }

            return File.ReadAllText(keyFile!);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"--key-file: cannot read {keyFile}: {e.Message}");
        }
    }

    /// <summary>
    /// Signs only what is recognisably this Coordinator's login challenge for this address, so a server cannot
    /// have the key sign some other statement in its owner's name.
    /// </summary>
    private static void CheckChallenge(LoginChallenge challenge, string address)
    {
        var lines = challenge.Message.Split('\n');
        if (lines.Length == 0 || lines[0] != "AITBC Coordinator login" || !lines.Contains($"Address: {address}")
            || !lines.Contains($"Nonce: {challenge.Nonce}"))
        {
            throw new AitbcProtocolException(
                $"The Coordinator's login challenge is not an AITBC login message for {address}; it was not signed.");
        }
    }

    /// <summary>Ends the session a new login replaced: it is of no use any more, and a failure is harmless.</summary>
    private static async Task RevokeQuietlyAsync(Uri url, string token, CancellationToken cancel)
    {
        try
        {
            using var api = new AitbcClient(url, apiKey: null) { SessionToken = token };
            await api.Users.LogoutAsync(cancel);
        }
        catch (Exception e) when (e is AitbcApiException or AitbcNetworkException or AitbcProtocolException)
        {
            // Expired or unreachable: it ends by itself at its expiry.
        }
    }

    private static void ShowLedger(LedgerPage page)
    {
        var table = new Table().AddColumns("transaction_id", "kind", "amount", "job_id", "reason", "created_at");
        foreach (var entry in page.Items)
        {
            table.AddRow(entry.TransactionId.ToString(CultureInfo.InvariantCulture), Markup.Escape(entry.Kind),
                SignedAitbcAmountConverter.Format(entry.Amount), Markup.Escape(entry.JobId ?? "-"),
                Markup.Escape(entry.Reason ?? "-"), Time(entry.CreatedAt));
        }

        AnsiConsole.Write(table);
        if (page.NextCursor is not null)
        {
            AnsiConsole.WriteLine($"more: --cursor {page.NextCursor}");
        }
    }

    /// <summary>Name and value lines, plain text so that no value is wrapped or styled.</summary>
    internal static void Show(params (string Name, string? Value)[] rows)
    {
        var width = rows.Max(r => r.Name.Length) + 2;
        foreach (var (name, value) in rows.Where(r => r.Value is not null))
        {
            Console.Out.WriteLine(name.PadRight(width) + value);
        }
    }

    internal static string Time(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private sealed record LoginAnswer(
        string CoordinatorUrl,
        string UserId,
        string WalletAddress,
        string AddressType,
        string Network,
        DateTimeOffset ExpiresAt,
        bool Created,
        string SessionFile);

    private sealed record WhoAmIAnswer(
        string CoordinatorUrl,
        string UserId,
        string WalletAddress,
        DateTimeOffset CreatedAt,
        DateTimeOffset SessionExpiresAt);
}
