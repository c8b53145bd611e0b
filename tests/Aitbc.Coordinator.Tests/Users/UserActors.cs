using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Aitbc.Coordinator.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using NBitcoin;

namespace Aitbc.Coordinator.Tests.Users;

/// <summary>A clock that stands still until a test moves it, so expiries happen exactly when the test says.</summary>
public sealed class TestClock : TimeProvider
{
    private DateTimeOffset _now = DateTimeOffset.UtcNow;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;

    public Action<IServiceCollection> Install => services => services.AddSingleton<TimeProvider>(this);
}

public enum AddressKind
{
    Legacy,
    LegacyUncompressed,
    NestedSegwit,
    NativeSegwit,
}

/// <summary>A Bitcoin wallet on testnet that signs messages as BIP-137 says (or as Electrum does).</summary>
public sealed class TestWallet(AddressKind kind = AddressKind.NativeSegwit)
{
    private readonly Key _key = new(kind != AddressKind.LegacyUncompressed);

    public AddressKind Kind { get; } = kind;

    public string Address => _key.PubKey.GetAddress(Kind switch
    {
        AddressKind.NestedSegwit => ScriptPubKeyType.SegwitP2SH,
        AddressKind.NativeSegwit => ScriptPubKeyType.Segwit,
        _ => ScriptPubKeyType.Legacy,
    }, Network.TestNet).ToString();

    /// <summary>Base64 of header, r and s. Electrum style uses the P2PKH header for every address type.</summary>
    public string Sign(string message, bool electrumHeader = false)
    {
        // NBitcoin signs compactly with compressed keys only; the signature is the same, only the header differs.
        var signer = _key.IsCompressed ? _key : new Key(_key.ToBytes(), fCompressedIn: true);
        var signature = signer.SignCompact(BitcoinMessageHash(message));
        var typeBase = electrumHeader ? 31 : Kind switch
        {
            AddressKind.LegacyUncompressed => 27,
            AddressKind.Legacy => 31,
            AddressKind.NestedSegwit => 35,
            _ => 39,
        };
        return Convert.ToBase64String([(byte)(typeBase + signature.RecoveryId), .. signature.Signature]);
    }

    /// <summary>Written here from the BIP rather than borrowed from the server, so the two check each other.</summary>
    private static uint256 BitcoinMessageHash(string message)
    {
        var magic = "Bitcoin Signed Message:\n"u8.ToArray();
        var text = Encoding.UTF8.GetBytes(message);
        Assert.True(text.Length < 253, "Test messages are short.");
        byte[] data = [(byte)magic.Length, .. magic, (byte)text.Length, .. text];
        return new uint256(SHA256.HashData(SHA256.HashData(data)));
    }
}

public sealed record LoggedIn(string UserId, string Token, TestWallet Wallet);

public static class UserApi
{
    public static async Task<JsonNode> ChallengeAsync(this TestCoordinator coordinator, string address)
    {
        using var http = coordinator.CreateClient();
        using var response = await http.PostJsonAsync("/v1/users/login/challenge", new { wallet_address = address });
        return await response.ExpectAsync(HttpStatusCode.OK);
    }

    public static async Task<HttpResponseMessage> PostLoginAsync(
        this TestCoordinator coordinator, string address, string message, string signature)
    {
        using var http = coordinator.CreateClient();
        return await http.PostJsonAsync("/v1/users/login", new { wallet_address = address, message, signature });
    }

    public static async Task<LoggedIn> LoginAsync(this TestCoordinator coordinator, TestWallet? wallet = null)
    {
        wallet ??= new TestWallet();
        var message = (await coordinator.ChallengeAsync(wallet.Address)).Str("message");
        using var response = await coordinator.PostLoginAsync(wallet.Address, message, wallet.Sign(message));
        var body = await response.ExpectAsync(HttpStatusCode.OK);
        return new LoggedIn(body.Str("user_id"), body.Str("session_token"), wallet);
    }

    public static HttpClient Session(this TestCoordinator coordinator, string token)
    {
        var http = coordinator.CreateClient();
        http.DefaultRequestHeaders.Add("X-Session-Token", token);
        return http;
    }

    public static async Task<string> CreateApiKeyAsync(this TestCoordinator coordinator, string token)
    {
        using var http = coordinator.Session(token);
        using var response = await http.PostJsonAsync("/v1/users/api-keys", new { name = "laptop" });
        return (await response.ExpectAsync(HttpStatusCode.Created)).Str("api_key");
    }

    public static async Task GrantAsync(this TestCoordinator coordinator, string userId, string amount)
    {
        using var admin = coordinator.CreateClient(coordinator.AdminKey);
        using var response = await admin.PostJsonAsync(
            "/v1/admin/ledger/grants", new { user_id = userId, amount, reason = "test deposit" });
        await response.ExpectAsync(HttpStatusCode.Created);
    }

    /// <summary>balance, held and available in 10^-8 AITBC, read with the admin key.</summary>
    public static async Task<(long Balance, long Held, long Available)> BalanceAsync(
        this TestCoordinator coordinator, string userId)
    {
        using var admin = coordinator.CreateClient(coordinator.AdminKey);
        using var response = await admin.GetAsync($"/v1/users/{userId}/balance");
        var body = await response.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("AITBC", body.Str("currency"));
        return (Units(body.Str("balance")), Units(body.Str("held")), Units(body.Str("available")));
    }

    public static async Task<JsonNode> AuditAsync(this TestCoordinator coordinator)
    {
        using var admin = coordinator.CreateClient(coordinator.AdminKey);
        using var response = await admin.GetAsync("/v1/admin/ledger/audit");
        var audit = await response.ExpectAsync(HttpStatusCode.OK);
        Assert.True(audit["valid"]!.GetValue<bool>(), audit.ToJsonString());
        Assert.Equal("0", audit.Str("postings_sum"));
        return audit;
    }

    public static long Units(string amount) =>
        (long)(decimal.Parse(amount, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign,
            CultureInfo.InvariantCulture) * 100_000_000m);

    public static string Amount(long units) =>
        (units / 100_000_000m).ToString("0.########", CultureInfo.InvariantCulture);
}
