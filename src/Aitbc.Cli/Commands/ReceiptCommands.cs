using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Aitbc.Cli.Wallet;
using Aitbc.Client;
using Aitbc.Client.Receipts;

namespace Aitbc.Cli.Commands;

/// <summary>
/// <c>aitbc receipts …</c>, <c>aitbc client receipts</c> and <c>aitbc miner receipts</c>: reading receipts and
/// verifying them offline against the Coordinator's keys, pinned on first use in the user's configuration folder.
/// </summary>
internal static class ReceiptCommands
{
    private const string VerifyHelp = "Exits 4 when a receipt does not verify, with one line per bad receipt, and "
        + "when the Coordinator serves another key for a pinned key id.";

    public static Command Create(GlobalOptions globals)
    {
        var receipts = new Command("receipts", "Fetch receipts and verify them offline.");
        receipts.Subcommands.Add(Verify(globals));
        receipts.Subcommands.Add(Get(globals));
        return receipts;
    }

    /// <summary><c>aitbc client receipts JOB_ID [--verify]</c>.</summary>
    public static Command ForJob(GlobalOptions globals)
    {
        var id = new Argument<string>("job-id") { Description = "The job's id (job_…)." };
        var verify = VerifyOption();
        var command = new Command("receipts", $"List a completed job's signed receipts. {VerifyHelp}") { id, verify };
        command.SetGuardedAction(globals, async (parsed, output, cancel) =>
        {
            var jobId = parsed.GetValue(id)!;
            using var api = globals.CreateClient(parsed);
            var receipts = await api.Receipts.ListForJobAsync(jobId, cancel);
            void Show(IReadOnlyList<VerifiedReceipt> items) => output.Data(
                new JobReceiptsView(jobId, items), () => ShowLines(items, "no receipts: the job has not completed"));
            if (!parsed.GetValue(verify))
            {
                Show([.. receipts.Select(r => new VerifiedReceipt(r, null))]);
                return ExitCodes.Success;
            }

            if (receipts.Count == 0)
            {
                output.Error("no_receipts", $"Job {jobId} has no receipt to verify: it has not completed.");
                return ExitCodes.ClientError;
            }

            return await VerifyAndShowAsync(api, output, receipts, Show, cancel);
        });
        return command;
    }

    /// <summary><c>aitbc miner receipts [--limit N] [--cursor C | --all] [--verify]</c>.</summary>
    public static Command ForMiner(GlobalOptions globals)
    {
        var limit = new Option<int?>("--limit") { Description = "Receipts per page, 1 to 200. Default 50." };
        var cursor = new Option<string?>("--cursor") { Description = "The next_cursor a previous page printed." };
        var all = new Option<bool>("--all") { Description = "Every page, not just the first." };
        var verify = VerifyOption();
        var command = new Command("receipts",
            $"List the signed receipts of the jobs this miner finished, newest first. {VerifyHelp}")
        {
            limit, cursor, all, verify,
        };
        command.SetGuardedAction(globals, async (parsed, output, cancel) =>
        {
            var size = parsed.GetValue(limit);
            if (size is < 1 or > 200)
            {
                throw new UsageException("--limit must be from 1 to 200.");
            }

            if (parsed.GetValue(all) && parsed.GetValue(cursor) is not null)
            {
                throw new UsageException("--all starts from the newest receipt; it takes no --cursor.");
            }

            using var api = globals.CreateClient(parsed);
            var receipts = new List<SignedReceipt>();
            var next = parsed.GetValue(cursor);
            do
            {
                var page = await api.Receipts.ListMineAsync(size, next, cancel);
                receipts.AddRange(page.Receipts);
                next = page.NextCursor;
            }
            while (parsed.GetValue(all) && next is not null);

            void Show(IReadOnlyList<VerifiedReceipt> items) => output.Data(new MinerReceiptsView(items, next), () =>
            {
                ShowLines(items, "no receipts: this miner has not finished a job");
                if (next is not null)
                {
                    output.Note($"more: aitbc miner receipts --cursor {next}");
                }
            });
            if (!parsed.GetValue(verify) || receipts.Count == 0)
            {
                Show([.. receipts.Select(r => new VerifiedReceipt(r, null))]);
                return ExitCodes.Success;
            }

            return await VerifyAndShowAsync(api, output, receipts, Show, cancel);
        });
        return command;
    }

    private static Option<bool> VerifyOption() => new("--verify")
    {
        Description = "Check each receipt's Ed25519 signature offline with the Coordinator's keys, pinned on first "
            + "use in $XDG_CONFIG_HOME/aitbc (default ~/.config/aitbc).",
    };

    private static Command Verify(GlobalOptions globals)
    {
        var file = new Option<string>("--file")
        {
            Description = "The receipt: a file holding its JSON, or - for stdin.",
            Required = true,
        };
        var command = new Command("verify",
            $"Verify a receipt offline with the Coordinator's pinned keys; the API key is not needed. {VerifyHelp}")
        {
            file,
        };
        command.SetGuardedAction(globals, async (parsed, output, cancel) =>
        {
            var path = parsed.GetValue(file)!;
            byte[] bytes;
            try
            {
                bytes = path == "-" ? ReadStdin() : await File.ReadAllBytesAsync(path, cancel);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new UsageException($"--file: cannot read {path}: {e.Message}");
            }

            SignedReceipt receipt;
            try
            {
                receipt = SignedReceipt.Parse(bytes);
            }
            catch (JsonException e)
            {
                output.Error("not_json", $"{path} does not hold a receipt: it is not JSON ({e.Message}).");
                return ExitCodes.ClientError;
            }

            // The keys are public: no API key is needed, and none is sent when none is configured.
            using var api = new AitbcClient(globals.ResolveUrl(parsed), OptionalKey(globals, parsed));
            return await VerifyAndShowAsync(api, output, [receipt],
                items => output.Data(items[0], () => output.Line(Describe(items[0]))), cancel);
        });
        return command;
    }

    private static Command Get(GlobalOptions globals)
    {
        var id = new Argument<string>("receipt-id") { Description = "The receipt's id (rct_…)." };
        var command = new Command("get",
            "Print one receipt byte for byte as the Coordinator signed it (for its client, its miner or an admin); "
            + "save it with > receipt.json.")
        {
            id,
        };
        command.SetGuardedAction(globals, async (parsed, output, cancel) =>
        {
            using var api = globals.CreateClient(parsed);
            var receipt = await api.Receipts.GetAsync(parsed.GetValue(id)!, cancel);

            // The same bytes with or without --json: they are JSON already, and any reformatting would be a copy.
            using var stdout = Console.OpenStandardOutput();
            await stdout.WriteAsync(receipt.Utf8, cancel);
            await stdout.WriteAsync("\n"u8.ToArray(), cancel);
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>Verifies with the pinned keys, shows the receipts and their verdicts, reports the bad ones.</summary>
    private static async Task<int> VerifyAndShowAsync(AitbcClient api, Output output,
        IReadOnlyList<SignedReceipt> receipts, Action<IReadOnlyList<VerifiedReceipt>> show, CancellationToken cancel)
    {
        PinnedVerification result;
        try
        {
            var pins = ReceiptKeyPins.Load(PrivateFiles.ConfigFolder(), api.BaseAddress);
            result = await new PinnedReceiptVerifier(api.Receipts, pins).VerifyAsync(receipts, cancel);
            if (result.NewlyPinned.Count > 0)
            {
                output.Note(result.FirstUse
                    ? $"pinned {result.NewlyPinned.Count} receipt key(s) of {api.BaseAddress} in {pins.FilePath}"
                    : $"pinned new receipt key(s) {string.Join(", ", result.NewlyPinned)} (the Coordinator rotated "
                        + $"its key) in {pins.FilePath}");
            }
        }
        catch (ReceiptKeyPinException e)
        {
            output.Error(e.Code, e.Message);
            return ExitCodes.ClientError;
        }

        var items = receipts.Zip(result.Verdicts, (r, v) => new VerifiedReceipt(r, v)).ToList();
        show(items);

        foreach (var bad in items.Where(i => i.Verification is { Valid: false }))
        {
            var verdict = bad.Verification!;
            output.Error(verdict.Reason,
                $"receipt {bad.Receipt.ReceiptId ?? "(no receipt_id)"} does not verify: {verdict.Reason}: "
                + verdict.Detail);
        }

        return result.AllValid ? ExitCodes.Success : ExitCodes.ClientError;
    }

    private static string Describe(VerifiedReceipt item) => item.Verification is { Valid: true } verdict
        ? $"{item.Receipt.ReceiptId} valid: signed by key {verdict.Kid}"
        : $"{item.Receipt.ReceiptId ?? "receipt"} NOT valid";

    /// <summary>
    /// One line per receipt. Plain lines rather than a table: a table of three ids wraps at 80 columns, and
    /// lines are easier for grep.
    /// </summary>
    private static void ShowLines(IReadOnlyList<VerifiedReceipt> items, string whenEmpty)
    {
        if (items.Count == 0)
        {
            Console.Out.WriteLine(whenEmpty);
        }

        foreach (var (receipt, verdict) in items)
        {
            var issued = DateTimeOffset.TryParse(receipt.IssuedAt, CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal, out var time)
                ? time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture)
                : receipt.IssuedAt ?? "?";
            var seq = receipt.Seq?.ToString(CultureInfo.InvariantCulture) ?? "?";
            var line = $"{receipt.ReceiptId ?? "?"}  seq {seq}  {receipt.Miner ?? "?"}  {receipt.Units ?? "?"} "
                + $"gpu-s  {receipt.Price ?? "?"} AITBC  {issued}";
            Console.Out.WriteLine(verdict is null ? line : $"{line}  {(verdict.Valid ? "verified" : "NOT VALID")}");
        }
    }

    private static string? OptionalKey(GlobalOptions globals, ParseResult parsed)
    {
        var key = parsed.GetValue(globals.ApiKey) ?? Environment.GetEnvironmentVariable("AITBC_API_KEY");
        return string.IsNullOrWhiteSpace(key) ? null : key.Trim();
    }

    private static byte[] ReadStdin()
    {
        using var stdin = Console.OpenStandardInput();
        using var buffer = new MemoryStream();
        stdin.CopyTo(buffer);
        return buffer.ToArray();
    }

    /// <summary>A receipt as served and, with --verify, its verdict.</summary>
    private sealed record VerifiedReceipt(SignedReceipt Receipt, ReceiptVerdict? Verification);

    private sealed record JobReceiptsView(string JobId, IReadOnlyList<VerifiedReceipt> Receipts);

    private sealed record MinerReceiptsView(IReadOnlyList<VerifiedReceipt> Receipts, string? NextCursor);
}
