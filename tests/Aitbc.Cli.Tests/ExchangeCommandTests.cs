using System.Text.Json.Nodes;
using Aitbc.Cli.Commands;
using Aitbc.Cli.Tests.Infrastructure;
using Aitbc.Coordinator.Tests.Exchange;
using Aitbc.Coordinator.Tests.Infrastructure;
using NBitcoin;
using NBitcoin.Payment;

namespace Aitbc.Cli.Tests;

/// <summary><c>aitbc exchange …</c> against a Coordinator selling from the BIP84 test account.</summary>
public sealed class ExchangeCommandTests
{
    private static readonly char[] Blocks = ['█', '▀', '▄'];

    [Fact]
    public async Task BuyPrintsTheUriOfThePaymentWithItsQrCode()
    {
        await using var coordinator = await TestCoordinator.StartAsync(settings: ExchangeCalls.Settings());
        var home = new WalletHome(coordinator);
        await home.LoginAsync(new Key());

        var buy = await home.RunAsync("exchange", "buy", "--aitbc", "10");

        Assert.True(buy.ExitCode == 0, buy.ToString());
        var lines = buy.Stdout.Split('\n');
        var paymentId = Field(lines, "payment_id");
        var uriText = Field(lines, "uri");
        var status = await home.RunAsync("exchange", "status", paymentId, "--json");
        Assert.True(status.ExitCode == 0, status.ToString());
        var payment = status.Json();
        Assert.Equal("pending", payment.Str("status"));
        Assert.Equal(payment.Str("bip21_uri"), uriText);
        var uri = new BitcoinUrlBuilder(uriText, Network.TestNet);
        Assert.Equal(payment.Str("address"), uri.Address!.ToString());
        Assert.Equal(Money.Satoshis(payment["amount_sats"]!.GetValue<long>()), uri.Amount);
        Assert.Equal(Money.Parse(payment.Str("btc_amount")), uri.Amount);
        Assert.Equal("10", payment.Str("aitbc_amount"));
        Assert.Equal(payment.Str("address"), Field(lines, "address"));
        Assert.Contains(ExchangeCommands.QrText(uriText).TrimEnd('\n'), buy.Stdout, StringComparison.Ordinal);
        Assert.True(lines.Count(l => l.Length > 20 && l.All(c => c == ' ' || Blocks.Contains(c))) >= 15,
            buy.Stdout);
        Assert.Contains($"aitbc exchange status {paymentId}", buy.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoQrAndJsonLeaveTheCodeOut()
    {
        await using var coordinator = await TestCoordinator.StartAsync(settings: ExchangeCalls.Settings());
        var home = new WalletHome(coordinator);
        await home.LoginAsync(new Key());

        var plain = await home.RunAsync("exchange", "buy", "--aitbc", "2.5", "--no-qr");
        var json = await home.RunAsync("exchange", "buy", "--btc", "0.00012345", "--json");

        Assert.True(plain.ExitCode == 0, plain.ToString());
        Assert.StartsWith("bitcoin:", Field(plain.Stdout.Split('\n'), "uri"), StringComparison.Ordinal);
        Assert.DoesNotContain(plain.Stdout, c => Blocks.Contains(c));
        Assert.True(json.ExitCode == 0, json.ToString());
        Assert.DoesNotContain(json.Stdout, c => Blocks.Contains(c));
        var payment = json.Json();
        Assert.Equal(12_345, payment["amount_sats"]!.GetValue<long>());
        Assert.Equal("12.345", payment.Str("aitbc_amount"));
        var uri = new BitcoinUrlBuilder(payment.Str("bip21_uri"), Network.TestNet);
        Assert.Equal(payment.Str("address"), uri.Address!.ToString());
        Assert.Equal(Money.Satoshis(12_345), uri.Amount);
        Assert.Equal(payment, (await home.RunAsync("exchange", "status", payment.Str("payment_id"), "--json")).Json(),
            JsonNode.DeepEquals);
    }

    [Fact]
    public async Task StatusOfAnUnknownOrSomeoneElsesPaymentIsNotFoundAndAdminsMayReadAny()
    {
        await using var coordinator = await TestCoordinator.StartAsync(settings: ExchangeCalls.Settings());
        var buyer = new WalletHome(coordinator, "buyer");
        var other = new WalletHome(coordinator, "other");
        await buyer.LoginAsync(new Key());
        await other.LoginAsync(new Key());
        var paymentId = (await buyer.RunAsync("exchange", "buy", "--aitbc", "1", "--json")).Json().Str("payment_id");
        var nobody = new WalletHome(coordinator, "nobody");

        var unknown = await buyer.RunAsync("exchange", "status", "pay_unknown");
        var foreign = await other.RunAsync("exchange", "status", paymentId, "--json");
        var admin = await nobody.RunWithKeyAsync(coordinator.AdminKey, "exchange", "status", paymentId, "--json");
        var client = await nobody.RunWithKeyAsync(coordinator.ClientKey, "exchange", "status", paymentId);
        var anonymous = await nobody.RunAsync("exchange", "status", paymentId);

        Assert.Equal(3, unknown.ExitCode);
        Assert.Contains("pay_unknown", unknown.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', unknown.Stderr);
        Assert.Equal(3, foreign.ExitCode);
        Assert.Equal("payment_not_found", JsonNode.Parse(foreign.Stderr)!["error"].Str("code"));
        Assert.True(admin.ExitCode == 0, admin.ToString());
        Assert.Equal(paymentId, admin.Json().Str("payment_id"));
        Assert.Equal(4, client.ExitCode);
        Assert.Contains("HTTP 403", client.Stderr, StringComparison.Ordinal);
        Assert.Equal(4, anonymous.ExitCode);
    }

    [Fact]
    public async Task BadAmountsAreUsageErrorsAndTheServersLimitsAreRefusals()
    {
        await using var coordinator = await TestCoordinator.StartAsync(settings: ExchangeCalls.Settings());
        var home = new WalletHome(coordinator);
        await home.LoginAsync(new Key());

        string[][] bad =
        [
            ["--aitbc", "0"], ["--aitbc", "0.00000000"], ["--aitbc", "-5"], ["--aitbc=-5"], ["--aitbc", "1.123456789"],
            ["--aitbc", "1e3"], ["--aitbc", "1,5"], ["--aitbc", "ten"], ["--btc", "-0.1"],
            ["--aitbc", "1", "--btc", "1"], [],
        ];
        foreach (var amount in bad)
        {
            var result = await home.RunAsync(["exchange", "buy", .. amount]);

            Assert.True(result.ExitCode == 2, $"{string.Join(' ', amount)}: {result}");
            Assert.Equal("", result.Stdout);
            Assert.DoesNotContain('\n', result.Stderr);
        }

        var tooSmall = await home.RunAsync("exchange", "buy", "--aitbc", "0.5", "--json");
        var tooLarge = await home.RunAsync("exchange", "buy", "--aitbc", "50000.00000001");
        var exact = await home.RunAsync("exchange", "buy", "--aitbc", "1.00000001", "--json");

        Assert.Equal(4, tooSmall.ExitCode);
        Assert.Equal("validation_failed", JsonNode.Parse(tooSmall.Stderr)!["error"].Str("code"));
        Assert.Equal(4, tooLarge.ExitCode);
        Assert.True(exact.ExitCode == 0, exact.ToString());

        // Sent as typed: a satoshi is 0.001 AITBC here, so the price of 1.00000001 rounds up to 1001 satoshis.
        Assert.Equal(1001, exact.Json()["amount_sats"]!.GetValue<long>());
        Assert.Equal("1.001", exact.Json().Str("aitbc_amount"));
    }

    [Fact]
    public async Task RatesAreShownAndAnUnconfiguredExchangeIsAServerSideError()
    {
        await using var coordinator = await TestCoordinator.StartAsync(settings: ExchangeCalls.Settings());
        await using var plain = await TestCoordinator.StartAsync();
        var home = new WalletHome(coordinator);

        var rates = await home.RunAsync("exchange", "rates", "--json");
        var text = await home.RunAsync("exchange", "rates");
        var none = await new WalletHome(plain).RunAsync("exchange", "rates");

        Assert.True(rates.ExitCode == 0, rates.ToString());
        Assert.Equal("100000", rates.Json().Str("btc_to_aitbc"));
        Assert.Equal("1", rates.Json().Str("min_aitbc"));
        Assert.Equal("testnet", rates.Json().Str("network"));
        Assert.True(rates.Json()["address_per_payment"]!.GetValue<bool>());
        Assert.Contains("1 BTC = 100000 AITBC", text.Stdout, StringComparison.Ordinal);
        Assert.Equal(5, none.ExitCode);
        Assert.Contains("exchange_not_configured", none.Stderr, StringComparison.Ordinal);
    }

    /// <summary>The value of a "name   value" line of the human output.</summary>
    private static string Field(string[] lines, string name)
    {
        var line = Assert.Single(lines, l => l.StartsWith(name + " ", StringComparison.Ordinal));
        return line[name.Length..].Trim();
    }
}
