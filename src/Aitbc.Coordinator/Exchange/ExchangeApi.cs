using System.ComponentModel;
using System.Text.Json;
using Aitbc.Coordinator.Auth;
using Aitbc.Coordinator.Common;
using Aitbc.Coordinator.Configuration;
using Aitbc.Coordinator.Data;
using Aitbc.Coordinator.Errors;
using Aitbc.Coordinator.Users;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using NBitcoin;
using NBitcoin.Payment;

namespace Aitbc.Coordinator.Exchange;

/// <summary>
/// Buying AITBC with Bitcoin: a user creates a payment, pays the address, and the watcher (or an admin) credits
/// it once. Without a receiving address or xpub configured, every route answers 503 exchange_not_configured.
/// </summary>
internal static partial class ExchangeApi
{
    public static RouteGroupBuilder MapExchange(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/exchange").WithTags("Exchange");

        group.MapPost("/create-payment", CreatePaymentAsync)
            .WithName("CreateExchangePayment")
            .WithSummary("Ask to buy AITBC: the Bitcoin amount, the address to pay and a BIP21 URI")
            .WithDescription("Give aitbc_amount or btc_amount, not both. Errors: validation_failed (400), "
                + "missing_credentials, invalid_session (401), exchange_not_configured, exchange_busy (503).")
            .RequireAuthorization(UserAuthSetup.User);
        group.MapGet("/payment-status/{paymentId}", StatusAsync)
            .WithName("ExchangePaymentStatus")
            .WithSummary("A payment's state, confirmations, txid and amounts (its owner's session or an admin key)")
            .WithDescription("Errors: payment_not_found (404) for anyone but the owner and admins, "
                + "exchange_not_configured (503).")
            .RequireAuthorization(UserAuthSetup.UserOrAdmin);
        group.MapGet("/rates", Rates)
            .WithName("ExchangeRates")
            .WithSummary("The rate, limits and confirmations the exchange works with")
            .WithDescription("Errors: exchange_not_configured (503).");

        routes.MapPost("/v1/admin/exchange/payments/{paymentId}/confirm", ConfirmAsync)
            .WithTags("Admin")
            .WithName("ConfirmExchangePayment")
            .WithSummary("Credit a payment by hand, recorded with the admin key, the txid and a note")
            .WithDescription("Once only: a payment already credited (by the watcher or an admin) is refused. "
                + "Errors: validation_failed (400), payment_not_found (404), payment_already_credited (409), "
                + "exchange_not_configured (503).")
            .RequireKeyRole(ApiKeyRoles.Admin);
        return group;
    }

    private static async Task<Results<Created<PaymentView>, ProblemHttpResult>> CreatePaymentAsync(
        CreatePaymentRequest request,
        SessionUser session,
        CoordinatorSettings settings,
        ExchangePayments payments,
        DbWriter writer,
        ILogger<ExchangePayments> logger)
    {
        var exchange = settings.Exchange;
        if (!exchange.Configured)
        {
            return NotConfigured();
        }

        var errors = new ValidationErrors();
        var aitbc = ReadAmount(request.AitbcAmount, "aitbc_amount", errors);
        var btc = ReadAmount(request.BtcAmount, "btc_amount", errors);
        if (errors.Any)
        {
            return errors.ToProblem();
        }

        if ((aitbc is null) == (btc is null))
        {
            errors.Add("aitbc_amount", "Give exactly one of aitbc_amount and btc_amount.");
            return errors.ToProblem();
        }

        // Asked in AITBC: pay the price rounded up to a whole satoshi. Asked in BTC: pay exactly that.
        var field = aitbc is null ? "btc_amount" : "aitbc_amount";
        var sats = aitbc is { } units ? PaymentMath.SatsFor(units, exchange.RateUnits) : btc!.Value;
        var worth = PaymentMath.AitbcFor(sats, exchange.RateUnits);
        if (sats <= 0 || worth < exchange.MinAmount.Units)
        {
            errors.Add(field, $"Must buy at least {exchange.MinAmount} AITBC.");
        }
        else if (sats > PaymentMath.MaxSats || worth > exchange.MaxAmount.Units)
        {
            errors.Add(field, $"Must buy at most {exchange.MaxAmount} AITBC.");
        }

        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var payment = await writer.ExecuteAsync(scope => payments.CreateAsync(scope, session.UserId, sats));
        if (payment is null)
        {
            return Problems.Create(503, "exchange_busy",
                "Too many open payments of this size share the receiving address; try a slightly different amount.");
        }

        Log.Created(logger, payment.Id, session.UserId, payment.AmountSats, payment.Address);
        return TypedResults.Created($"/v1/exchange/payment-status/{payment.Id}", View(payment, exchange));
    }

    private static async Task<Results<Ok<PaymentView>, ProblemHttpResult>> StatusAsync(
        string paymentId, HttpContext http, CoordinatorSettings settings, CoordinatorDb db, CancellationToken cancel)
    {
        if (!settings.Exchange.Configured)
        {
            return NotConfigured();
        }

        var payment = paymentId.Length > 40
            ? null
            : await db.ExchangePayments.AsNoTracking().FirstOrDefaultAsync(p => p.Id == paymentId, cancel);
        var mayRead = payment is not null && http.Items[typeof(SessionUser)] switch
        {
            SessionUser session => session.UserId == payment.UserId,
            _ => http.Items[typeof(Caller)] is Caller caller && caller.Has(ApiKeyRoles.Admin),
        };
        return mayRead ? TypedResults.Ok(View(payment!, settings.Exchange)) : PaymentNotFound(paymentId);
    }

    private static Results<Ok<RatesView>, ProblemHttpResult> Rates(CoordinatorSettings settings)
    {
        var exchange = settings.Exchange;
        if (!exchange.Configured)
        {
            return NotConfigured();
        }

        return TypedResults.Ok(new RatesView(
            new AitbcAmount(exchange.RateUnits),
            exchange.MinAmount,
            exchange.MaxAmount,
            settings.BitcoinNetwork,
            exchange.MinConfirmations,
            (long)exchange.PaymentTimeout.TotalSeconds,
            exchange.AccountKey is not null));
    }

    private static async Task<Results<Ok<PaymentView>, ProblemHttpResult>> ConfirmAsync(
        string paymentId,
        ConfirmRequest request,
        Caller caller,
        CoordinatorSettings settings,
        ExchangePayments payments,
        DbWriter writer,
        CoordinatorDb db,
        ILogger<ExchangePayments> logger,
        CancellationToken cancel)
    {
        if (!settings.Exchange.Configured)
        {
            return NotConfigured();
        }

        var errors = new ValidationErrors();
        if (request.Txid is not { Length: 64 } txid || !txid.All(char.IsAsciiHexDigit))
        {
            errors.Add("txid", "Must be the 64 hex characters of the Bitcoin transaction id.");
        }

        if (request.Note is { Length: > 500 })
        {
            errors.Add("note", "At most 500 characters.");
        }

        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var outcome = paymentId.Length > 40
            ? ConfirmOutcome.NotFound
            : await writer.ExecuteAsync(scope => payments.ConfirmByHandAsync(
                scope, paymentId, request.Txid!.ToLowerInvariant(), request.Note?.Trim(), caller.KeyId));
        switch (outcome)
        {
            case ConfirmOutcome.NotFound:
                return PaymentNotFound(paymentId);
            case ConfirmOutcome.AlreadyCredited:
                return Problems.Conflict("payment_already_credited",
                    $"Payment {paymentId} was already credited; nothing was changed.");
        }

        Log.ConfirmedByHand(logger, paymentId, caller.KeyId);
        var payment = await db.ExchangePayments.AsNoTracking().FirstAsync(p => p.Id == paymentId, cancel);
        return TypedResults.Ok(View(payment, settings.Exchange));
    }

    /// <summary>BTC or AITBC (both have eight decimals): a decimal string, or an exact JSON number.</summary>
    private static long? ReadAmount(JsonElement? value, string field, ValidationErrors errors)
    {
        if (value is not { ValueKind: not JsonValueKind.Null } element)
        {
            return null;
        }

        var text = element.ValueKind switch
        {
            JsonValueKind.String => element.GetString()!,
            JsonValueKind.Number => element.GetRawText(),
            _ => null,
        };
        if (text is null || !AitbcAmount.TryParse(text.Trim(), out var amount))
        {
            errors.Add(field, "Must be a positive decimal string with at most 8 places, such as \"0.001\".");
            return null;
        }

        if (amount.Units <= 0)
        {
            errors.Add(field, "Must be more than 0.");
            return null;
        }

        return amount.Units;
    }

    private static PaymentView View(ExchangePayment payment, ExchangeSettings exchange)
    {
        var uri = new BitcoinUrlBuilder(exchange.Network)
        {
            Address = BitcoinAddress.Create(payment.Address, exchange.Network),
            Amount = Money.Satoshis(payment.AmountSats),
            Label = $"AITBC {payment.Id}",
        };
        return new PaymentView(
            payment.Id,
            payment.Status,
            payment.Address,
            payment.AmountSats,
            Btc(payment.AmountSats),
            new AitbcAmount(payment.AitbcUnits),
            new AitbcAmount(payment.RateUnits),
            uri.ToString(),
            payment.Confirmations,
            payment.Txid,
            payment.CreatedAt,
            payment.ExpiresAt,
            payment.UserId,
            payment.ReceivedSats,
            Btc(payment.ReceivedSats),
            Math.Max(0, payment.ReceivedSats - payment.AmountSats),
            payment.NeedsReview,
            payment.SeenAt,
            payment.CreditedAt,
            payment.CreditedBy,
            payment.Note);
    }

    /// <summary>Satoshis as a BTC decimal string: the same eight-place form as AITBC amounts.</summary>
    private static string Btc(long sats) => new AitbcAmount(sats).ToString();

    private static ProblemHttpResult NotConfigured() => Problems.Create(503, "exchange_not_configured",
        "The exchange is not configured: the operator must set BITCOIN_XPUB or BITCOIN_ADDRESS.");

    private static ProblemHttpResult PaymentNotFound(string paymentId) =>
        Problems.NotFound("payment_not_found", $"There is no payment {paymentId} of yours.");

    private static partial class Log
    {
        [LoggerMessage(5010, LogLevel.Information,
            "Payment {PaymentId} created for {UserId}: {AmountSats} sat to {Address}", EventName = "PaymentCreated")]
        public static partial void Created(ILogger logger, string paymentId, string userId, long amountSats,
            string address);

        [LoggerMessage(5011, LogLevel.Warning, "Payment {PaymentId} credited by hand by key {KeyId}",
            EventName = "PaymentConfirmedByHand")]
        public static partial void ConfirmedByHand(ILogger logger, string paymentId, string keyId);
    }
}

internal sealed record CreatePaymentRequest
{
    [Description("AITBC to buy, a decimal string with up to 8 places. Give this or btc_amount.")]
    public JsonElement? AitbcAmount { get; init; }

    [Description("BTC to spend, a decimal string with up to 8 places. Give this or aitbc_amount.")]
    public JsonElement? BtcAmount { get; init; }
}

internal sealed record ConfirmRequest
{
    [Description("The transaction that paid, 64 hex characters.")]
    public string? Txid { get; init; }

    [Description("Why this was confirmed by hand, up to 500 characters.")]
    public string? Note { get; init; }
}

/// <summary>A payment as SPEC §9 names it, then what the chain showed and who credited it.</summary>
internal sealed record PaymentView(
    string PaymentId,
    PaymentStatus Status,
    string Address,
    long AmountSats,
    string BtcAmount,
    AitbcAmount AitbcAmount,
    AitbcAmount Rate,
    string Bip21Uri,
    int Confirmations,
    string? Txid,
    DateTime CreatedAt,
    DateTime ExpiresAt,
    string UserId,
    long ReceivedSats,
    string ReceivedBtc,
    long OverpaidSats,
    bool NeedsReview,
    DateTime? SeenAt,
    DateTime? CreditedAt,
    string? CreditedBy,
    string? Note);

internal sealed record RatesView(
    [property: Description("AITBC per 1 BTC.")] AitbcAmount BtcToAitbc,
    AitbcAmount MinAitbc,
    AitbcAmount MaxAitbc,
    string Network,
    int MinConfirmations,
    long PaymentTimeoutSeconds,
    bool AddressPerPayment);
