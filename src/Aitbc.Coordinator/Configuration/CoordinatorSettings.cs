using System.Globalization;
using System.Net;
using Aitbc.Coordinator.Data;
using Aitbc.Coordinator.Exchange;

namespace Aitbc.Coordinator.Configuration;

/// <summary>
/// Everything the Coordinator reads from its configuration, parsed and checked once at start. The names are the
/// environment variables of the public page; appsettings.json and the command line may set the same keys.
/// </summary>
internal sealed record CoordinatorSettings
{
    public required DatabaseUrl Database { get; init; }

    public string ApiHost { get; init; } = "0.0.0.0";

    public int ApiPort { get; init; } = 8000;

    /// <summary>Null when not configured: a key is then generated once and kept beside the database.</summary>
    public string? SecretKey { get; init; }

    /// <summary>The Ed25519 seed for receipts, or null: one is then generated once and kept.</summary>
    public byte[]? ReceiptSigningKey { get; init; }

    public IReadOnlyList<string> ApiKeys { get; init; } = [];

    public IReadOnlyList<string> AdminApiKeys { get; init; } = [];

    public TimeSpan JobTtl { get; init; } = TimeSpan.FromHours(1);

    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(60);

    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan HeartbeatTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the sweeper looks for run-out leases, silent miners and expired jobs.</summary>
    public TimeSpan SweepInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>mainnet, testnet, signet or regtest: the network whose addresses may log in.</summary>
    public string BitcoinNetwork { get; init; } = "testnet";

    public TimeSpan SessionTtl { get; init; } = TimeSpan.FromHours(24);

    /// <summary>Buying AITBC with Bitcoin: addresses, rate, chain watcher (see Exchange/ExchangeSettings.cs).</summary>
    public ExchangeSettings Exchange { get; init; } = ExchangeSettings.Disabled;

    /// <summary>Requests per minute per principal (or per client address without one); 0 turns limits off.</summary>
    public int RateLimitPerMinute { get; init; } = 1200;

    /// <summary>Proxies whose X-Forwarded-For is believed; nobody's by default.</summary>
    public IReadOnlyList<IPNetwork> TrustedProxies { get; init; } = [];

    /// <summary>Origins browsers may call the API from; "*" alone means any (never with credentials).</summary>
    public IReadOnlyList<string> AllowOrigins { get; init; } = [];

    public bool JsonLogs { get; init; }

    public static CoordinatorSettings Load(IConfiguration config)
    {
        var reader = new Reader(config);
        var settings = new CoordinatorSettings
        {
            Database = reader.Parse("DATABASE_URL", "sqlite:///coordinator.db", DatabaseUrl.Parse),
            ApiHost = reader.Text("API_HOST", "0.0.0.0"),
            ApiPort = reader.Integer("API_PORT", 8000, min: 0, max: 65535),
            SecretKey = reader.Secret("SECRET_KEY"),
            ReceiptSigningKey = reader.HexBytes("RECEIPT_SIGNING_KEY", 32, "an Ed25519 seed"),
            ApiKeys = reader.KeyList("API_KEYS"),
            AdminApiKeys = reader.KeyList("ADMIN_API_KEYS"),
            JobTtl = reader.Seconds("JOB_TTL_SECONDS", 3600, max: 30 * 86400),
            LeaseDuration = reader.Seconds("LEASE_SECONDS", 60, max: 86400),
            HeartbeatInterval = reader.Seconds("HEARTBEAT_INTERVAL_SECONDS", 10, max: 3600),
            HeartbeatTimeout = reader.Seconds("HEARTBEAT_TIMEOUT_SECONDS", 30, max: 86400),
            SweepInterval = reader.Seconds("SWEEP_INTERVAL_SECONDS", 1, max: 60),
            BitcoinNetwork = reader.OneOf("BITCOIN_NETWORK", "testnet", ["mainnet", "testnet", "signet", "regtest"]),
            SessionTtl = TimeSpan.FromHours(reader.Integer("SESSION_TTL_HOURS", 24, min: 1, max: 24 * 365)),
            RateLimitPerMinute = reader.Integer("RATE_LIMIT_PER_MINUTE", 1200, min: 0, max: 1_000_000),
            TrustedProxies = reader.Networks("TRUSTED_PROXIES"),
            AllowOrigins = reader.Origins("ALLOW_ORIGINS"),
            JsonLogs = reader.Choice("LOG_FORMAT", "text", ["text", "json"]) == "json",
        };

        if (settings.HeartbeatTimeout <= settings.HeartbeatInterval)
        {
            throw new SettingsException(
                "HEARTBEAT_TIMEOUT_SECONDS must be longer than HEARTBEAT_INTERVAL_SECONDS, "
                + "or every miner flaps offline.");
        }

        return settings with { Exchange = ExchangeSettings.Load(config, settings.BitcoinNetwork) };
    }

    /// <summary>Reads one variable at a time and names it in every complaint.</summary>
    private sealed class Reader(IConfiguration config)
    {
        private string? Raw(string name)
        {
            var value = config[name];
            return string.IsNullOrWhiteSpace(value) ? null : value.Trim();
        }

        public string Text(string name, string fallback) => Raw(name) ?? fallback;

        public T Parse<T>(string name, string fallback, Func<string, T> parse)
        {
            var value = Raw(name) ?? fallback;
            try
            {
                return parse(value);
            }
            catch (FormatException e)
            {
                throw new SettingsException($"{name} is invalid: {e.Message}");
            }
        }

        public int Integer(string name, int fallback, int min, int max)
        {
            var value = Raw(name);
            if (value is null)
            {
                return fallback;
            }

            if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number)
                || number < min || number > max)
            {
                throw new SettingsException($"{name} must be a whole number from {min} to {max}, not '{value}'.");
            }

            return number;
        }

        public TimeSpan Seconds(string name, double fallback, double max)
        {
            var value = Raw(name);
            if (value is null)
            {
                return TimeSpan.FromSeconds(fallback);
            }

            // Fractions are allowed so tests and demos can run with sub-second leases.
            if (!double.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds)
                || seconds <= 0 || seconds > max)
            {
                throw new SettingsException(
                    $"{name} must be a number of seconds above 0 and at most {max}, not '{value}'.");
            }

            return TimeSpan.FromSeconds(seconds);
        }

        public string OneOf(string name, string fallback, string[] allowed)
        {
            var value = Raw(name)?.ToLowerInvariant() ?? fallback;
            return allowed.Contains(value, StringComparer.Ordinal)
                ? value
                : throw new SettingsException($"{name} must be one of {string.Join(", ", allowed)}, not '{value}'.");
        }

        public string? Secret(string name)
        {
            var value = Raw(name);
            if (value is not null && value.Length < 16)
            {
                // The value itself is a secret, so only its length is named.
                throw new SettingsException($"{name} must be at least 16 characters long; it has {value.Length}.");
            }

            return value;
        }

        public byte[]? HexBytes(string name, int bytes, string what)
        {
            var value = Raw(name);
            if (value is null)
            {
                return null;
            }

            // A secret: only its length is named.
            if (value.Length != bytes * 2 || !value.All(char.IsAsciiHexDigit))
            {
                throw new SettingsException(
                    $"{name} must be {bytes * 2} hex characters ({what}); it has {value.Length} characters.");
            }

            return Convert.FromHexString(value);
        }

        public string Choice(string name, string fallback, IReadOnlyList<string> allowed)
        {
            var value = Raw(name)?.ToLowerInvariant() ?? fallback;
            return allowed.Contains(value)
                ? value
                : throw new SettingsException($"{name} must be one of {string.Join(", ", allowed)}, not '{value}'.");
        }

        /// <summary>Comma-separated addresses or CIDR networks: <c>127.0.0.1, 10.0.0.0/8, ::1</c>.</summary>
        public IReadOnlyList<IPNetwork> Networks(string name)
        {
            var networks = new List<IPNetwork>();
            foreach (var item in List(name))
            {
                if (IPNetwork.TryParse(item, out var network))
                {
                    networks.Add(network);
                }
                else if (IPAddress.TryParse(item, out var address))
                {
                    networks.Add(new IPNetwork(address, address.GetAddressBytes().Length * 8));
                }
                else
                {
                    throw new SettingsException($"{name}: '{item}' is not an IP address or a CIDR network.");
                }
            }

            return networks;
        }

        /// <summary>Comma-separated origins (<c>https://app.example.com</c>), or <c>*</c> alone.</summary>
        public IReadOnlyList<string> Origins(string name)
        {
            var origins = List(name);
            if (origins.Contains("*"))
            {
                return origins.Count == 1
                    ? origins
                    : throw new SettingsException(
                        $"{name}: '*' allows every origin and cannot be combined with others.");
            }

            foreach (var origin in origins)
            {
                if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")
                    || uri.PathAndQuery != "/" || origin.EndsWith('/'))
                {
                    throw new SettingsException(
                        $"{name}: '{origin}' is not an origin; write scheme://host[:port], as in "
                        + "https://app.example.com.");
                }
            }

            return origins;
        }

        private List<string> List(string name) =>
            Raw(name)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList()
            ?? [];

        public IReadOnlyList<string> KeyList(string name)
        {
            var value = Raw(name);
            if (value is null)
            {
                return [];
            }

            var keys = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            for (var i = 0; i < keys.Length; i++)
            {
                if (keys[i].Length < 8)
                {
                    throw new SettingsException($"{name}: key number {i + 1} is shorter than 8 characters.");
                }
            }

            return keys.Distinct(StringComparer.Ordinal).ToArray();
        }
    }
}

/// <summary>A configuration value the Coordinator cannot start with. The message is the one line shown.</summary>
internal sealed class SettingsException(string message) : Exception(message);
