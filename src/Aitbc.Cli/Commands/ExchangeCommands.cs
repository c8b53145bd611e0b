using System.CommandLine;
using System.Globalization;
using Aitbc.Cli.Wallet;
using Aitbc.Client;
using Aitbc.Client.Exchange;
using QRCoder;

namespace Aitbc.Cli.Commands;

/// <summary><c>aitbc exchange …</c>: buy AITBC with Bitcoin and follow the payment.</summary>
internal static class ExchangeCommands
{
    public static Command Create(GlobalOptions globals)
    {
        var exchange = new Command("exchange", "Buy AITBC with Bitcoin.");
        exchange.Subcommands.Add(Buy(globals));
        exchange.Subcommands.Add(Status(globals));
        exchange.Subcommands.Add(Rates(globals));
        return exchange;
    }

    private static Command Buy(GlobalOptions globals)
    {
        var aitbc = new Option<string?>("--aitbc") { Description = "AITBC to buy, as in 10 or 2.5." };
        var btc = new Option<string?>("--btc") { Description = "Or: BTC to spend, as in 0.001." };
        var noQr = new Option<bool>("--no-qr") { Description = "Do not draw the payment's QR code." };
        var command = new Command("buy", "Ask to buy AITBC: prints the amount, the address, a BIP21 URI and a QR code.")
        {
            aitbc, btc, noQr,
        };

        // Checked while parsing, so a bad amount is a usage error whether or not there is a session.
        aitbc.Validators.Add(result => CheckAmount(result, "--aitbc"));
        btc.Validators.Add(result => CheckAmount(result, "--btc"));
        command.Validators.Add(result =>
        {
            if ((result.GetValue(aitbc) is null) == (result.GetValue(btc) is null))
            {
                result.AddError("Give the amount with --aitbc N (AITBC to buy) or --btc N (BTC to spend).");
            }
        });
        command.SetSessionAction(globals, async (parsed, output, context, cancel) =>
        {
            var aitbcText = parsed.GetValue(aitbc);
            var btcText = parsed.GetValue(btc);
            var request = new CreatePaymentRequest
            {
                AitbcAmount = aitbcText is null ? null : ParseAmount(aitbcText, "--aitbc"),
                BtcAmount = btcText is null ? null : ParseAmount(btcText, "--btc"),
            };
            var payment = await context.Api.Exchange.CreatePaymentAsync(request, cancel);
            output.Data(payment, () =>
            {
                ShowPayment(payment);
                if (!parsed.GetValue(noQr))
                {
                    Console.Out.WriteLine();
                    Console.Out.Write(QrText(payment.Bip21Uri));
                }

                output.Note($"Pay from any Bitcoin wallet before {WalletCommands.Time(payment.ExpiresAt)}; follow it "
                    + $"with: aitbc exchange status {payment.PaymentId}");
            });
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Status(GlobalOptions globals)
    {
        var id = new Argument<string>("payment-id") { Description = "The payment's id (pay_…)." };
        var command = new Command("status",
            "Show a payment's state and confirmations (your session; without one, an admin's API key).") { id };
        command.SetSessionOrKeyAction(globals, async (parsed, output, api, cancel) =>
        {
            var payment = await api.Exchange.GetPaymentStatusAsync(parsed.GetValue(id)!, cancel);
            output.Data(payment, () => ShowPayment(payment));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Rates(GlobalOptions globals)
    {
        var command = new Command("rates", "Show the exchange rate, the limits and the confirmations waited for.");
        command.SetGuardedAction(globals, async (parsed, output, cancel) =>
        {
            using var api = new AitbcClient(globals.ResolveUrl(parsed), apiKey: null);
            var rates = await api.Exchange.GetRatesAsync(cancel);
            output.Data(rates, () => WalletCommands.Show(
                ("rate", $"1 BTC = {AitbcAmountConverter.Format(rates.BtcToAitbc)} AITBC"),
                ("limits", $"{AitbcAmountConverter.Format(rates.MinAitbc)} to "
                    + $"{AitbcAmountConverter.Format(rates.MaxAitbc)} AITBC a purchase"),
                ("network", rates.Network),
                ("confirmations", rates.MinConfirmations.ToString(CultureInfo.InvariantCulture)),
                ("payment_timeout", $"{rates.PaymentTimeoutSeconds} s"),
                ("addresses", rates.AddressPerPayment ? "one per payment" : "one shared address")));
            return ExitCodes.Success;
        });
        return command;
    }

    private static void CheckAmount(System.CommandLine.Parsing.OptionResult result, string option)
    {
        try
        {
            ParseAmount(result.GetValueOrDefault<string?>() ?? "", option);
        }
        catch (UsageException e)
        {
            result.AddError(e.Message);
        }
    }

    /// <summary>
    /// An amount as typed: digits with at most eight decimal places, more than zero. Exact, as the Coordinator
    /// reads it: nothing is rounded, and no sign, exponent, grouping or locale decimal comma is accepted.
    /// </summary>
    internal static decimal ParseAmount(string text, string option)
    {
        var dot = text.IndexOf('.', StringComparison.Ordinal);
        var whole = dot < 0 ? text : text[..dot];
        var fraction = dot < 0 ? "" : text[(dot + 1)..];
        if (whole.Length is 0 or > 12 || !whole.All(char.IsAsciiDigit) || (dot >= 0 && fraction.Length == 0)
            || fraction.Length > AitbcAmountConverter.Decimals || !fraction.All(char.IsAsciiDigit))
        {
            throw new UsageException(
                $"{option} must be a positive amount with at most 8 decimal places, as in 12.5.");
        }

        var amount = decimal.Parse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
        return amount > 0 ? amount : throw new UsageException($"{option} must be more than 0.");
    }

    /// <summary>
    /// The URI as a QR code of half-block characters, two modules a line. Light modules and the quiet zone are
    /// drawn, so the code reads right on the usual dark terminal (scanners also read it inverted on a light one).
    /// </summary>
    internal static string QrText(string uri)
    {
        using var generator = new QRCodeGenerator();
        using var data = generator.CreateQrCode(uri, QRCodeGenerator.ECCLevel.M);
        using var ascii = new AsciiQRCode(data);
        return ascii.GetGraphicSmall(drawQuietZones: true, invert: false, endOfLine: "\n") + "\n";
    }

    private static void ShowPayment(Payment payment)
    {
        var received = payment.ReceivedSats > 0
            ? $"{AitbcAmountConverter.Format(payment.ReceivedBtc)} BTC ({payment.ReceivedSats} sat)"
            : null;
        WalletCommands.Show(
            ("payment_id", payment.PaymentId),
            ("status", payment.Status.ToString().ToLowerInvariant()),
            ("pay", $"{AitbcAmountConverter.Format(payment.BtcAmount)} BTC ({payment.AmountSats} sat)"),
            ("address", payment.Address),
            ("for", $"{AitbcAmountConverter.Format(payment.AitbcAmount)} AITBC at "
                + $"{AitbcAmountConverter.Format(payment.Rate)} AITBC per BTC"),
            ("uri", payment.Bip21Uri),
            ("expires_at", WalletCommands.Time(payment.ExpiresAt)),
            ("received", received),
            ("confirmations",
                payment.Txid is null ? null : payment.Confirmations.ToString(CultureInfo.InvariantCulture)),
            ("txid", payment.Txid),
            ("credited_at", payment.CreditedAt is { } credited ? WalletCommands.Time(credited) : null),
            ("needs_review", payment.NeedsReview ? "yes: money came after the expiry; an operator decides" : null));
    }
}
