using System.Net;
using Aitbc.Coordinator.Tests.Infrastructure;

namespace Aitbc.Coordinator.Tests.Users;

public sealed class LoginTests
{
    [Theory]
    [InlineData(AddressKind.Legacy, false)]
    [InlineData(AddressKind.LegacyUncompressed, false)]
    [InlineData(AddressKind.NestedSegwit, false)]
    [InlineData(AddressKind.NestedSegwit, true)]
    [InlineData(AddressKind.NativeSegwit, false)]
    [InlineData(AddressKind.NativeSegwit, true)]
    public async Task WalletLogsInWithASignedChallengeAndIsRegisteredOnce(AddressKind kind, bool electrumHeader)
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        var wallet = new TestWallet(kind);

        var challenge = await coordinator.ChallengeAsync(wallet.Address);
        var message = challenge.Str("message");
        using var first = await coordinator.PostLoginAsync(
            wallet.Address, message, wallet.Sign(message, electrumHeader));
        var login = await first.ExpectAsync(HttpStatusCode.OK);
        var again = await coordinator.LoginAsync(wallet);

        Assert.Contains(wallet.Address, message);
        Assert.Contains(challenge.Str("nonce"), message);
        Assert.EndsWith("Z", challenge.Str("expires_at"));
        Assert.StartsWith("usr_", login.Str("user_id"));
        Assert.Equal(wallet.Address, login.Str("wallet_address"));
        Assert.True(login["created"]!.GetValue<bool>());
        Assert.Matches("^[0-9a-f]{64}$", login.Str("session_token"));
        Assert.Equal(login.Str("user_id"), again.UserId);
        Assert.NotEqual(login.Str("session_token"), again.Token);
        using var session = coordinator.Session(login.Str("session_token"));
        using var me = await session.GetAsync("/v1/users/me");
        var profile = await me.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(login.Str("user_id"), profile.Str("user_id"));
        Assert.Equal(wallet.Address, profile.Str("wallet_address"));
    }

    [Fact]
    public async Task BadLoginsAreRefusedWithAClearCodeAndLeaveTheChallengeUsable()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        var wallet = new TestWallet();
        var stranger = new TestWallet();
        var message = (await coordinator.ChallengeAsync(wallet.Address)).Str("message");

        using var otherMessage = await coordinator.PostLoginAsync(wallet.Address, message, wallet.Sign(message + "!"));
        using var otherKey = await coordinator.PostLoginAsync(wallet.Address, message, stranger.Sign(message));
        var foreignMessage = (await coordinator.ChallengeAsync(stranger.Address)).Str("message");
        using var foreignNonce = await coordinator.PostLoginAsync(
            wallet.Address, foreignMessage, wallet.Sign(foreignMessage));
        var unknown = message.Replace(
            message.Split('\n')[2], "Nonce: " + new string('a', 32), StringComparison.Ordinal);
        using var unknownNonce = await coordinator.PostLoginAsync(wallet.Address, unknown, wallet.Sign(unknown));
        using var malformedAddress = await coordinator.PostLoginAsync("1notanaddress", message, wallet.Sign(message));
        using var mainnetAddress = await coordinator.PostLoginAsync(
            new NBitcoin.Key().PubKey.GetAddress(NBitcoin.ScriptPubKeyType.Segwit, NBitcoin.Network.Main).ToString(),
            message,
            wallet.Sign(message));
        using var malformedSignature = await coordinator.PostLoginAsync(
            wallet.Address, message, "bm90IGEgc2lnbmF0dXJl");
        using var missingField = await coordinator.CreateClient().PostJsonAsync(
            "/v1/users/login", new { wallet_address = wallet.Address, message });

        foreach (var refused in new[] { otherMessage, otherKey })
        {
            Assert.Null(
                (await refused.ExpectProblemAsync(HttpStatusCode.Unauthorized, "invalid_signature"))["session_token"]);
        }

        await foreignNonce.ExpectProblemAsync(HttpStatusCode.Unauthorized, "unknown_challenge");
        await unknownNonce.ExpectProblemAsync(HttpStatusCode.Unauthorized, "unknown_challenge");
        await malformedAddress.ExpectProblemAsync(HttpStatusCode.BadRequest, "invalid_wallet_address");
        await mainnetAddress.ExpectProblemAsync(HttpStatusCode.BadRequest, "invalid_wallet_address");
        await malformedSignature.ExpectProblemAsync(HttpStatusCode.BadRequest, "malformed_signature");
        await missingField.ExpectProblemAsync(HttpStatusCode.BadRequest, "missing_field");
        using var challengeForJunk = await coordinator.CreateClient().PostJsonAsync(
            "/v1/users/login/challenge", new { wallet_address = "tb1qnotvalid" });
        await challengeForJunk.ExpectProblemAsync(HttpStatusCode.BadRequest, "invalid_wallet_address");

        using var good = await coordinator.PostLoginAsync(wallet.Address, message, wallet.Sign(message));
        await good.ExpectAsync(HttpStatusCode.OK);
        using var reused = await coordinator.PostLoginAsync(wallet.Address, message, wallet.Sign(message));
        Assert.Null((await reused.ExpectProblemAsync(HttpStatusCode.Unauthorized, "challenge_used"))["session_token"]);
    }

    [Fact]
    public async Task ConcurrentLoginsWithOneChallengeGiveOneSession()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        var wallet = new TestWallet();
        var message = (await coordinator.ChallengeAsync(wallet.Address)).Str("message");
        var signature = wallet.Sign(message);

        var responses = await Task.WhenAll(Enumerable.Range(0, 20)
            .Select(_ => coordinator.PostLoginAsync(wallet.Address, message, signature)));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.OK);
        foreach (var refused in responses.Where(r => r.StatusCode != HttpStatusCode.OK))
        {
            await refused.ExpectProblemAsync(HttpStatusCode.Unauthorized, "challenge_used");
        }
    }

    [Fact]
    public async Task SeveralChallengesMayBeOpenForOneAddressAndEachExpires()
    {
        var clock = new TestClock();
        await using var coordinator = await TestCoordinator.StartAsync(services: clock.Install);
        var wallet = new TestWallet(AddressKind.Legacy);
        var first = (await coordinator.ChallengeAsync(wallet.Address)).Str("message");
        var second = (await coordinator.ChallengeAsync(wallet.Address)).Str("message");
        var third = (await coordinator.ChallengeAsync(wallet.Address)).Str("message");

        using var withSecond = await coordinator.PostLoginAsync(wallet.Address, second, wallet.Sign(second));
        using var withFirst = await coordinator.PostLoginAsync(wallet.Address, first, wallet.Sign(first));
        clock.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1));
        using var late = await coordinator.PostLoginAsync(wallet.Address, third, wallet.Sign(third));

        await withSecond.ExpectAsync(HttpStatusCode.OK);
        await withFirst.ExpectAsync(HttpStatusCode.OK);
        Assert.Null((await late.ExpectProblemAsync(HttpStatusCode.Unauthorized, "challenge_expired"))["session_token"]);
    }
}
