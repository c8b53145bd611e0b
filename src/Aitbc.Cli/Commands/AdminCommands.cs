using System.CommandLine;
using System.Globalization;
using Aitbc.Client;
using Aitbc.Client.Admin;
using Aitbc.Client.Jobs;
using Aitbc.Client.Miners;

namespace Aitbc.Cli.Commands;

/// <summary><c>aitbc admin …</c>: what operators see and steer, with a key that has the admin role.</summary>
internal static class AdminCommands
{
    public static Command Create(GlobalOptions globals)
    {
        var admin = new Command("admin", "Operate the Coordinator (a key with the admin role).");
        admin.Subcommands.Add(Stats(globals));
        admin.Subcommands.Add(Jobs(globals));
        admin.Subcommands.Add(Miners(globals));
        admin.Subcommands.Add(Miner(globals));
        admin.Subcommands.Add(Keys(globals));
        admin.Subcommands.Add(Grant(globals));
        admin.Subcommands.Add(Audit(globals));
        admin.Subcommands.Add(Payment(globals));
        return admin;
    }

    private static Command Stats(GlobalOptions globals)
    {
        var command = new Command("stats", "Jobs by state, queue depth, miners, recent throughput and latencies.");
        command.SetGuardedAction(globals, async (parsed, output, cancel) =>
        {
            using var api = globals.CreateClient(parsed);
            var stats = await api.Admin.GetStatsAsync(cancel);
            output.Data(stats, () => ShowStats(stats));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Jobs(GlobalOptions globals)
    {
        var state = new Option<string?>("--state") { Description = "Only jobs in this state." };
        state.AcceptOnlyFromAmong("queued", "running", "completed", "failed", "cancelled", "expired");
        var type = new Option<string?>("--type") { Description = "Only jobs of this type." };
        var client = new Option<string?>("--client") { Description = "Only jobs of this client (usr_… or key_…)." };
        var miner = new Option<string?>("--miner") { Description = "Only jobs held or last held by this miner." };
        var limit = LimitOption();
        var cursor = CursorOption();
        var command = new Command("jobs", "Every client's jobs, newest first.")
        {
            state, type, client, miner, limit, cursor,
        };
        command.SetGuardedAction(globals, async (parsed, output, cancel) =>
        {
            using var api = globals.CreateClient(parsed);
            var page = await api.Admin.ListJobsAsync(new AdminJobQuery
            {
                State = parsed.GetValue(state) is { } s ? Enum.Parse<JobState>(s, ignoreCase: true) : null,
                JobType = parsed.GetValue(type),
                ClientId = parsed.GetValue(client),
                MinerId = parsed.GetValue(miner),
                Limit = parsed.GetValue(limit),
                Cursor = parsed.GetValue(cursor),
            }, cancel);
            output.Data(page, () =>
            {
                Columns(["job_id", "type", "state", "client", "miner", "attempts", "created_at"],
                    page.Items.Select(job => new[]
                    {
                        job.JobId, job.JobType, ClientCommands.Name(job.State), job.ClientId, job.MinerId ?? "-",
                        N(job.Attempts), Time(job.CreatedAt),
                    }));
                ShowMore(page.NextCursor);
            });
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Miners(GlobalOptions globals)
    {
        var status = new Option<string?>("--status") { Description = "Only miners with this status." };
        status.AcceptOnlyFromAmong("online", "draining", "offline");
        var blocked = new Option<bool?>("--blocked")
        {
            Description = "Only blocked (true) or unblocked (false) miners.",
        };
        var limit = LimitOption();
        var cursor = CursorOption();
        var command = new Command("miners", "Every miner, newest registration first.")
        {
            status, blocked, limit, cursor,
        };
        command.SetGuardedAction(globals, async (parsed, output, cancel) =>
        {
            using var api = globals.CreateClient(parsed);
            var page = await api.Admin.ListMinersAsync(new AdminMinerQuery
            {
                Status = parsed.GetValue(status) is { } s ? Enum.Parse<MinerStatus>(s, ignoreCase: true) : null,
                Blocked = parsed.GetValue(blocked),
                Limit = parsed.GetValue(limit),
                Cursor = parsed.GetValue(cursor),
            }, cancel);
            output.Data(page, () =>
            {
                Columns(["miner_id", "status", "flags", "running", "price", "last_seen_at"],
                    page.Items.Select(miner => new[]
                    {
                        miner.MinerId, Name(miner.Status), Flags(miner) is { Length: > 0 } flags ? flags : "-",
                        $"{N(miner.RunningJobs)}/{N(miner.MaxConcurrency)}",
                        AitbcAmountConverter.Format(miner.PricePerUnit), Time(miner.LastSeenAt),
                    }));
                ShowMore(page.NextCursor);
            });
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Miner(GlobalOptions globals)
    {
        var miner = new Command("miner", "Drain, undrain, block or unblock one miner.");
        miner.Subcommands.Add(MinerAction(globals, "drain", "Give the miner no new work; it finishes what it holds.",
            (api, id, cancel) => api.Admin.DrainMinerAsync(id, cancel)));
        miner.Subcommands.Add(MinerAction(globals, "undrain", "Let a drained miner take new work again.",
            (api, id, cancel) => api.Admin.UndrainMinerAsync(id, cancel)));
        miner.Subcommands.Add(MinerAction(globals, "block",
            "Refuse the miner's key and put its jobs back in the queue at once.",
            (api, id, cancel) => api.Admin.BlockMinerAsync(id, cancel)));
        miner.Subcommands.Add(MinerAction(globals, "unblock", "Accept a blocked miner's key again.",
            (api, id, cancel) => api.Admin.UnblockMinerAsync(id, cancel)));
        return miner;
    }

    private static Command MinerAction(GlobalOptions globals, string name, string description,
        Func<AitbcClient, string, CancellationToken, Task<AdminMiner>> act)
    {
        var id = new Argument<string>("miner-id") { Description = "The miner's id (mnr_…)." };
        var command = new Command(name, description) { id };
        command.SetGuardedAction(globals, async (parsed, output, cancel) =>
        {
            using var api = globals.CreateClient(parsed);
            var miner = await act(api, parsed.GetValue(id)!, cancel);
            output.Data(miner, () => output.Line($"{miner.MinerId} {Name(miner.Status)} {Flags(miner)}".TrimEnd()));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Keys(GlobalOptions globals)
    {
        var keys = new Command("keys", "Create, list and revoke API keys.");

        var roles = new Option<string[]>("--role")
        {
            Description = "client, miner or admin; repeat it or separate with commas for several.",
            Required = true,
            AllowMultipleArgumentsPerToken = false,
        };
        var label = new Option<string?>("--label")
        {
            Description = "What the key is for, shown in lists (1 to 100 characters). Default: the roles.",
        };
        var create = new Command("create",
            "Create an API key and print it. The Coordinator keeps only a hash: this is the one time it is shown.")
        {
            roles, label,
        };
        create.SetGuardedAction(globals, async (parsed, output, cancel) =>
        {
            var wanted = (parsed.GetValue(roles) ?? []).SelectMany(CommandRunner.SplitList).Distinct().ToList();
            var bad = wanted.FirstOrDefault(r => r is not ("client" or "miner" or "admin"));
            if (wanted.Count == 0 || bad is not null)
            {
                throw new UsageException(
                    $"--role must be client, miner or admin{(bad is null ? "" : $", not {bad}")}.");
            }

            using var api = globals.CreateClient(parsed);
            var key = await api.Admin.CreateApiKeyAsync(
                new CreateApiKeyRequest(parsed.GetValue(label) ?? string.Join('+', wanted) + " key", wanted), cancel);

            // The one sanctioned display of a secret: the operator asked for a key and must be able to copy it.
            output.Data(key, () =>
            {
                output.Line($"{key.KeyId} ({string.Join(", ", key.Roles)}) created; the key, shown only now:");
                Console.Out.WriteLine(key.Key);
            });
            return ExitCodes.Success;
        });

        var all = new Option<bool>("--include-revoked") { Description = "Also list revoked keys." };
        var role = new Option<string?>("--role") { Description = "Only keys with this role." };
        role.AcceptOnlyFromAmong("client", "miner", "admin");
        var user = new Option<string?>("--user") { Description = "Only the keys of this user (usr_…)." };
        var limit = LimitOption();
        var cursor = CursorOption();
        var list = new Command("list", "API keys, newest first; never the keys themselves.")
        {
            all, role, user, limit, cursor,
        };
        list.SetGuardedAction(globals, async (parsed, output, cancel) =>
        {
            using var api = globals.CreateClient(parsed);
            var page = await api.Admin.ListApiKeysAsync(new ApiKeyQuery
            {
                IncludeRevoked = parsed.GetValue(all),
                Role = parsed.GetValue(role),
                UserId = parsed.GetValue(user),
                Limit = parsed.GetValue(limit),
                Cursor = parsed.GetValue(cursor),
            }, cancel);
            output.Data(page, () =>
            {
                Columns(["key_id", "roles", "source", "created_at", "revoked_at", "name"],
                    page.Items.Select(key => new[]
                    {
                        key.KeyId, string.Join(",", key.Roles), key.Source, Time(key.CreatedAt),
                        key.RevokedAt is { } revoked ? Time(revoked) : "-", key.Name,
                    }));
                ShowMore(page.NextCursor);
            });
            return ExitCodes.Success;
        });

        var id = new Argument<string>("key-id") { Description = "The key's id (key_…), as keys list shows it." };
        var revoke = new Command("revoke", "Revoke an API key; requests with it are refused from now on.") { id };
        revoke.SetGuardedAction(globals, async (parsed, output, cancel) =>
        {
            using var api = globals.CreateClient(parsed);
            var key = await api.Admin.RevokeApiKeyAsync(parsed.GetValue(id)!, cancel);
            output.Data(key, () => output.Line($"{key.KeyId} revoked"));
            return ExitCodes.Success;
        });

        keys.Subcommands.Add(create);
        keys.Subcommands.Add(list);
        keys.Subcommands.Add(revoke);
        return keys;
    }

    private static Command Grant(GlobalOptions globals)
    {
        var user = new Option<string>("--user") { Description = "The user to credit (usr_…).", Required = true };
        var amount = new Option<string>("--amount") { Description = "AITBC, as in 12.5.", Required = true };
        var reason = new Option<string>("--reason")
        {
            Description = "Why, for the record (1 to 500 characters).",
            Required = true,
        };
        var command = new Command("grant", "Credit a user's account from the grants account.") { user, amount, reason };
        command.SetGuardedAction(globals, async (parsed, output, cancel) =>
        {
            var text = parsed.GetValue(amount)!;
            if (!decimal.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value)
                || value <= 0 || decimal.Round(value, AitbcAmountConverter.Decimals) != value)
            {
                throw new UsageException(
                    "--amount must be more than 0 AITBC with at most 8 decimal places, as in 12.5.");
            }

            using var api = globals.CreateClient(parsed);
            var grant = await api.Admin.GrantAsync(new GrantRequest
            {
                UserId = parsed.GetValue(user)!,
                Amount = value,
                Reason = parsed.GetValue(reason)!,
            }, cancel);
            output.Data(grant, () => output.Line(
                $"granted {AitbcAmountConverter.Format(grant.Amount)} AITBC to {grant.UserId} "
                + $"(transaction {grant.TransactionId.ToString(CultureInfo.InvariantCulture)})"));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Audit(GlobalOptions globals)
    {
        var audit = new Command("audit",
            "Check the books or the receipt chain. Exits 4 when the audit finds a problem.");

        var ledger = new Command("ledger",
            "Postings sum to zero, cached balances match the postings, open holds belong to live jobs.");
        ledger.SetGuardedAction(globals, async (parsed, output, cancel) =>
        {
            using var api = globals.CreateClient(parsed);
            var report = await api.Admin.AuditLedgerAsync(cancel);
            output.Data(report, () => output.Line(report.Valid
                ? $"ledger ok: granted {AitbcAmountConverter.Format(report.Granted)} AITBC, exchange credited "
                    + $"{AitbcAmountConverter.Format(report.ExchangeCredited)} AITBC"
                : $"ledger NOT ok: {report.Problems.Count} problem(s)"));
            foreach (var problem in report.Problems)
            {
                output.Error("ledger_problem", problem);
            }

            return report.Valid ? ExitCodes.Success : ExitCodes.ClientError;
        });

        var receipts = new Command("receipts",
            "Walk the receipt chain from the first receipt: every signature, seq and prev_sha256, and the head.");
        receipts.SetGuardedAction(globals, async (parsed, output, cancel) =>
        {
            using var api = globals.CreateClient(parsed);
            var report = await api.Admin.AuditReceiptsAsync(cancel);
            output.Data(report, () => output.Line(report.Valid
                ? $"receipt chain ok: {N(report.Checked)} receipts, head {report.HeadSha256}"
                : $"receipt chain broken after {N(report.Checked)} receipts"));
            if (report.FirstBroken is { } broken)
            {
                output.Error("receipt_chain_broken",
                    $"seq {N(broken.Seq)} ({broken.ReceiptId ?? "no receipt"}) {broken.Problem}: {broken.Detail}");
            }

            return report.Valid ? ExitCodes.Success : ExitCodes.ClientError;
        });

        audit.Subcommands.Add(ledger);
        audit.Subcommands.Add(receipts);
        return audit;
    }

    private static Command Payment(GlobalOptions globals)
    {
        var id = new Argument<string>("payment-id") { Description = "The payment's id." };
        var txid = new Option<string>("--txid")
        {
            Description = "The Bitcoin transaction that paid, 64 hex characters.",
            Required = true,
        };
        var note = new Option<string?>("--note")
        {
            Description = "Why it is confirmed by hand (up to 500 characters).",
        };
        var confirm = new Command("confirm",
            "Credit an exchange payment by hand, once; recorded with this key, the txid and the note.")
        {
            id, txid, note,
        };
        confirm.SetGuardedAction(globals, async (parsed, output, cancel) =>
        {
            using var api = globals.CreateClient(parsed);
            var payment = await api.Admin.ConfirmPaymentAsync(parsed.GetValue(id)!,
                new ConfirmPaymentRequest(parsed.GetValue(txid)!, parsed.GetValue(note)), cancel);
            output.Data(payment, () => output.Line(
                $"{payment.PaymentId} {payment.Status.ToString().ToLowerInvariant()}: "
                + $"{AitbcAmountConverter.Format(payment.AitbcAmount)} AITBC "
                + $"to {payment.UserId}"));
            return ExitCodes.Success;
        });

        var payments = new Command("payment", "Exchange payments.");
        payments.Subcommands.Add(confirm);
        return payments;
    }

    private static void ShowStats(AdminStats stats)
    {
        void Row(string name, string value) => Console.Out.WriteLine($"{name,-16}{value}");

        Row("jobs by state", Counts(stats.JobsByState));
        Row("queued by type", stats.QueueDepthByJobType.Count == 0 ? "none" : Counts(stats.QueueDepthByJobType));
        Row("miners", $"{N(stats.Miners.Online)} online, {N(stats.Miners.Draining)} draining, "
            + $"{N(stats.Miners.Offline)} offline, {N(stats.Miners.Blocked)} blocked");
        Row("completed",
            $"{N(stats.JobsCompleted.LastMinute)} last minute, {N(stats.JobsCompleted.LastHour)} last hour");
        Row("failed", $"{N(stats.JobsFailed.LastMinute)} last minute, {N(stats.JobsFailed.LastHour)} last hour");
        Row("queue wait (s)", Percentiles(stats.QueueWaitSeconds));
        Row("run time (s)", Percentiles(stats.RunTimeSeconds));
        Row("window", $"{N(stats.WindowSeconds)} s, as of {Time(stats.GeneratedAt)}");
    }

    private static string Counts(IReadOnlyDictionary<string, long> counts) =>
        string.Join(", ", counts.Select(c => $"{c.Key} {N(c.Value)}"));

    private static string Percentiles(SecondsPercentiles p) => p.Samples == 0
        ? "no samples"
        : string.Create(CultureInfo.InvariantCulture, $"p50 {p.P50:0.###}, p95 {p.P95:0.###} ({p.Samples} jobs)");

    private static string Flags(AdminMiner miner) =>
        string.Join(' ', new[] { miner.Blocked ? "blocked" : null, miner.Drained ? "drained" : null }.OfType<string>());

    private static Option<int?> LimitOption() => new("--limit") { Description = "Page size, 1 to 200. Default 50." };

    private static Option<string?> CursorOption() =>
        new("--cursor") { Description = "The next_cursor of the previous page." };

    private static void ShowMore(string? cursor)
    {
        if (cursor is not null)
        {
            Console.Out.WriteLine($"more: --cursor {cursor}");
        }
    }

    /// <summary>
    /// Rows in aligned columns, plain text: ids are long, and a table drawn to the terminal's width would wrap
    /// them mid-id (and at 80 columns when output is piped).
    /// </summary>
    private static void Columns(string[] headers, IEnumerable<string[]> rows)
    {
        List<string[]> lines = [headers, .. rows];
        var widths = headers.Select((_, i) => lines.Max(line => line[i].Length)).ToArray();
        foreach (var line in lines)
        {
            Console.Out.WriteLine(string.Join("  ", line.Select((cell, i) => cell.PadRight(widths[i]))).TrimEnd());
        }
    }

    private static string Name(MinerStatus status) => status.ToString().ToLowerInvariant();

    private static string N(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Time(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
