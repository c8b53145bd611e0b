using System.Globalization;
using Aitbc.Coordinator.Common;
using Aitbc.Coordinator.Configuration;
using Aitbc.Coordinator.Users;
using NBitcoin;
using NBitcoin.DataEncoders;

namespace Aitbc.Coordinator.Exchange;

/// <summary>
/// The exchange's configuration, parsed once at start. Either a static receiving address or an account xpub makes
/// the exchange available; without both, its endpoints answer 503.
/// </summary>
internal sealed record ExchangeSettings
{
    public static readonly ExchangeSettings Disabled = new() { Network = Network.TestNet };

    public required Network Network { get; init; }

    /// <summary>The static receiving address, canonical; used only when there is no xpub.</summary>
    public string? StaticAddress { get; init; }

    /// <summary>The BIP84 account key (m/84'/coin'/account'); payments get its receive addresses …/0/i.</summary>
    public BitcoinExtPubKey? AccountKey { get; init; }

    /// <summary>10^-8 AITBC per 1 BTC (that is, per 10^8 satoshis).</summary>
    public long RateUnits { get; init; } = 100_000 * AitbcAmount.UnitsPerCoin;

    public Uri? EsploraUrl { get; init; }

    public int MinConfirmations { get; init; } = 1;

    public TimeSpan PaymentTimeout { get; init; } = TimeSpan.FromHours(1);

    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Every call to the chain service gives up after this long.</summary>
    public TimeSpan EsploraTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public AitbcAmount MinAmount { get; init; } = new(AitbcAmount.UnitsPerCoin);

    public AitbcAmount MaxAmount { get; init; } = new(1_000_000 * AitbcAmount.UnitsPerCoin);

    public bool Configured => StaticAddress is not null || AccountKey is not null;

    public static ExchangeSettings Load(IConfiguration config, string networkName)
    {
        string? Raw(string name) => string.IsNullOrWhiteSpace(config[name]) ? null : config[name]!.Trim();

        var network = WalletSignatures.NetworkNamed(networkName);
        var settings = new ExchangeSettings
        {
            Network = network,
            StaticAddress = Raw("BITCOIN_ADDRESS") is { } address ? ParseAddress(address, network, networkName) : null,
            AccountKey = Raw("BITCOIN_XPUB") is { } xpub ? ParseAccountKey(xpub, network, networkName) : null,
            RateUnits = Raw("BTC_TO_AITBC_RATE") is { } rate ? ParseRate(rate) : 100_000 * AitbcAmount.UnitsPerCoin,
            EsploraUrl = Raw("BITCOIN_ESPLORA_URL") is { } url ? ParseUrl(url) : null,
            MinConfirmations = Integer(Raw("BITCOIN_MIN_CONFIRMATIONS"), "BITCOIN_MIN_CONFIRMATIONS", 1, 1, 1000),
            PaymentTimeout = TimeSpan.FromSeconds(
                Integer(Raw("PAYMENT_TIMEOUT_SECONDS"), "PAYMENT_TIMEOUT_SECONDS", 3600, 60, 7 * 86400)),
            PollInterval = Seconds(Raw("EXCHANGE_POLL_SECONDS"), "EXCHANGE_POLL_SECONDS", 30, 3600),
            EsploraTimeout = Seconds(
                Raw("BITCOIN_ESPLORA_TIMEOUT_SECONDS"), "BITCOIN_ESPLORA_TIMEOUT_SECONDS", 10, 300),
            MinAmount = Amount(Raw("EXCHANGE_MIN_AITBC"), "EXCHANGE_MIN_AITBC", new(AitbcAmount.UnitsPerCoin)),
            MaxAmount = Amount(
                Raw("EXCHANGE_MAX_AITBC"), "EXCHANGE_MAX_AITBC", new(1_000_000 * AitbcAmount.UnitsPerCoin)),
        };

        if (settings.MinAmount.Units <= 0 || settings.MinAmount > settings.MaxAmount)
        {
            throw new SettingsException(
                "EXCHANGE_MIN_AITBC must be above 0 and not above EXCHANGE_MAX_AITBC.");
        }

        return settings;
    }

    /// <summary>
    /// Reads an account key of <paramref name="network"/>. NBitcoin knows only the xpub/tpub version bytes, so a
    /// zpub or vpub (SLIP-132, the same key marked for P2WPKH) gets the xpub or tpub version bytes first.
    /// </summary>
    public static BitcoinExtPubKey ParseAccountKey(string text, Network network, string networkName = "")
    {
        try
        {
            var bytes = Encoders.Base58Check.DecodeData(text);
            if (bytes.Length != 78)
            {
                throw new FormatException("not 78 bytes");
            }

            var version = Convert.ToHexString(bytes, 0, 4).ToLowerInvariant();
            byte[]? standard = version switch
            {
                "04b24746" => [0x04, 0x88, 0xb2, 0x1e],
                "045f1cf6" => [0x04, 0x35, 0x87, 0xcf],
                _ => null,
            };
            if (standard is not null)
            {
                standard.CopyTo(bytes, 0);
                text = Encoders.Base58Check.EncodeData(bytes);
            }

            return new BitcoinExtPubKey(text, network);
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            throw new SettingsException(
                $"BITCOIN_XPUB must be an account xpub, tpub, zpub or vpub of BITCOIN_NETWORK {networkName}.");
        }
    }

    /// <summary>The receive address …/0/<paramref name="index"/> of the account: P2WPKH, as BIP84 says.</summary>
    public static string ReceiveAddress(BitcoinExtPubKey account, uint index) =>
        account.ExtPubKey.Derive(0).Derive(index).PubKey.GetAddress(ScriptPubKeyType.Segwit, account.Network)
            .ToString();

    private static string ParseAddress(string text, Network network, string networkName)
    {
        try
        {
            return BitcoinAddress.Create(text, network).ToString();
        }
        catch (FormatException)
        {
            throw new SettingsException($"BITCOIN_ADDRESS is not an address of BITCOIN_NETWORK {networkName}.");
        }
    }

    private static long ParseRate(string text)
    {
        // At least 1 AITBC per BTC, so that 10^-8 AITBC is never worth more than a satoshi and rounding the
        // AITBC down never costs the buyer a satoshi's worth.
        if (!AitbcAmount.TryParse(text, out var rate) || rate.Units < AitbcAmount.UnitsPerCoin)
        {
            throw new SettingsException(
                $"BTC_TO_AITBC_RATE must be AITBC per BTC, at least 1, with at most 8 decimals; not '{text}'.");
        }

        return rate.Units;
    }

    private static Uri ParseUrl(string text)
    {
        if (!Uri.TryCreate(text.TrimEnd('/') + "/", UriKind.Absolute, out var uri)
            || uri.Scheme is not ("http" or "https"))
        {
            throw new SettingsException($"BITCOIN_ESPLORA_URL must be an http or https URL, not '{text}'.");
        }

        return uri;
    }

    private static int Integer(string? text, string name, int fallback, int min, int max)
    {
        if (text is null)
        {
            return fallback;
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            && value >= min && value <= max
            ? value
            : throw new SettingsException($"{name} must be a whole number from {min} to {max}, not '{text}'.");
    }

    private static TimeSpan Seconds(string? text, string name, double fallback, double max)
    {
        if (text is null)
        {
            return TimeSpan.FromSeconds(fallback);
        }

        // Fractions are allowed so tests can poll a local chain server quickly.
        return double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value)
            && value > 0 && value <= max
            ? TimeSpan.FromSeconds(value)
            : throw new SettingsException(
                $"{name} must be a number of seconds above 0 and at most {max}, not '{text}'.");
    }

    private static AitbcAmount Amount(string? text, string name, AitbcAmount fallback)
    {
        if (text is null)
        {
            return fallback;
        }

        return AitbcAmount.TryParse(text, out var amount)
            ? amount
            : throw new SettingsException($"{name} must be an AITBC amount with at most 8 decimals, not '{text}'.");
    }
}
