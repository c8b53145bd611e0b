using System.Net;
using Aitbc.Coordinator.Tests.Infrastructure;

namespace Aitbc.Coordinator.Tests.Users;

public sealed class SessionTests
{
    [Fact]
    public async Task LogoutRevokesTheTokenOnEveryRoute()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        var user = await coordinator.LoginAsync();
        var other = await coordinator.LoginAsync();
        using var session = coordinator.Session(user.Token);
        using var keyResponse = await session.PostJsonAsync("/v1/users/api-keys", new { name = "k" });
        var keyId = (await keyResponse.ExpectAsync(HttpStatusCode.Created)).Str("key_id");

        using var logout = await session.PostAsync("/v1/users/logout", null);
        await logout.ExpectAsync(HttpStatusCode.NoContent);

        foreach (var (method, path) in UserRoutes(user.UserId, keyId))
        {
            using var request = new HttpRequestMessage(method, path) { Content = Http.Content(new { }) };
            using var refused = await session.SendAsync(request);
            await refused.ExpectProblemAsync(HttpStatusCode.Unauthorized, "invalid_session");
        }

        using var stillLive = coordinator.Session(other.Token);
        using var me = await stillLive.GetAsync("/v1/users/me");
        Assert.Equal(other.UserId, (await me.ExpectAsync(HttpStatusCode.OK)).Str("user_id"));
    }

    [Fact]
    public async Task ExpiredTokenIsRefused()
    {
        var clock = new TestClock();
        await using var coordinator = await TestCoordinator.StartAsync(
            settings: new Dictionary<string, string> { ["SESSION_TTL_HOURS"] = "2" }, services: clock.Install);
        var user = await coordinator.LoginAsync();
        using var session = coordinator.Session(user.Token);
        using var before = await session.GetAsync("/v1/users/me");
        await before.ExpectAsync(HttpStatusCode.OK);

        clock.Advance(TimeSpan.FromHours(2) + TimeSpan.FromSeconds(1));

        foreach (var (method, path) in UserRoutes(user.UserId, "key_x"))
        {
            using var request = new HttpRequestMessage(method, path) { Content = Http.Content(new { }) };
            using var refused = await session.SendAsync(request);
            await refused.ExpectProblemAsync(HttpStatusCode.Unauthorized, "invalid_session");
        }
    }

    [Fact]
    public async Task TokenIsReadFromTheHeaderOnlyAndMustBeWellFormed()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        var user = await coordinator.LoginAsync();
        using var anonymous = coordinator.CreateClient();
        using var junk = coordinator.Session("not-a-token");
        using var unknown = coordinator.Session(new string('0', 64));
        using var apiKeyOnly = coordinator.CreateClient(coordinator.ClientKey);

        using var inQuery = await anonymous.GetAsync(
            $"/v1/users/me?session_token={user.Token}&X-Session-Token={user.Token}");
        using var malformed = await junk.GetAsync("/v1/users/me");
        using var notIssued = await unknown.GetAsync("/v1/users/me");
        using var withKey = await apiKeyOnly.GetAsync("/v1/users/me");

        await inQuery.ExpectProblemAsync(HttpStatusCode.Unauthorized, "missing_credentials");
        await malformed.ExpectProblemAsync(HttpStatusCode.Unauthorized, "invalid_session");
        await notIssued.ExpectProblemAsync(HttpStatusCode.Unauthorized, "invalid_session");
        await withKey.ExpectProblemAsync(HttpStatusCode.Unauthorized, "missing_credentials");
    }

    [Fact]
    public async Task EveryUserEndpointWithAnotherUsersIdIsNotFound()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        var alice = await coordinator.LoginAsync();
        var bob = await coordinator.LoginAsync();
        using var bobSession = coordinator.Session(bob.Token);
        using var bobKey = await bobSession.PostJsonAsync("/v1/users/api-keys", new { name = "bob" });
        var bobKeyId = (await bobKey.ExpectAsync(HttpStatusCode.Created)).Str("key_id");
        await coordinator.GrantAsync(bob.UserId, "5");
        using var alicesView = coordinator.Session(alice.Token);

        using var balance = await alicesView.GetAsync($"/v1/users/{bob.UserId}/balance");
        using var transactions = await alicesView.GetAsync($"/v1/users/{bob.UserId}/transactions");
        using var revoke = await alicesView.DeleteAsync($"/v1/users/api-keys/{bobKeyId}");
        using var nobody = await alicesView.GetAsync("/v1/users/usr_nobody/balance");
        using var keys = await alicesView.GetAsync("/v1/users/api-keys");

        await balance.ExpectProblemAsync(HttpStatusCode.NotFound, "user_not_found");
        await transactions.ExpectProblemAsync(HttpStatusCode.NotFound, "user_not_found");
        await revoke.ExpectProblemAsync(HttpStatusCode.NotFound, "api_key_not_found");
        await nobody.ExpectProblemAsync(HttpStatusCode.NotFound, "user_not_found");
        Assert.Empty((await keys.ExpectAsync(HttpStatusCode.OK))["items"]!.AsArray());
        using var bobsKeys = await bobSession.GetAsync("/v1/users/api-keys");
        Assert.Equal(
            bobKeyId,
            Assert.Single((await bobsKeys.ExpectAsync(HttpStatusCode.OK))["items"]!.AsArray())!.Str("key_id"));
        Assert.Equal(500_000_000, (await coordinator.BalanceAsync(bob.UserId)).Balance);
    }

    [Fact]
    public async Task BalanceAndTransactionsAreForTheOwnerOrAnAdminKey()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        var user = await coordinator.LoginAsync();
        await coordinator.GrantAsync(user.UserId, "2.5");
        using var owner = coordinator.Session(user.Token);
        using var admin = coordinator.CreateClient(coordinator.AdminKey);
        using var client = coordinator.CreateClient(coordinator.ClientKey);

        using var own = await owner.GetAsync($"/v1/users/{user.UserId}/balance");
        using var byAdmin = await admin.GetAsync($"/v1/users/{user.UserId}/transactions");
        using var byClientKey = await client.GetAsync($"/v1/users/{user.UserId}/balance");
        using var unknownByAdmin = await admin.GetAsync("/v1/users/usr_nobody/balance");
        using var anonymous = await coordinator.CreateClient().GetAsync($"/v1/users/{user.UserId}/balance");
        using var badLimit = await owner.GetAsync($"/v1/users/{user.UserId}/transactions?limit=0");

        var balance = await own.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("2.5", balance.Str("balance"));
        Assert.Equal("0", balance.Str("held"));
        Assert.Equal("2.5", balance.Str("available"));
        var grant = Assert.Single((await byAdmin.ExpectAsync(HttpStatusCode.OK))["items"]!.AsArray())!;
        Assert.Equal("grant", grant.Str("kind"));
        Assert.Equal("2.5", grant.Str("amount"));
        Assert.Equal("test deposit", grant.Str("reason"));
        await byClientKey.ExpectProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        await unknownByAdmin.ExpectProblemAsync(HttpStatusCode.NotFound, "user_not_found");
        await anonymous.ExpectProblemAsync(HttpStatusCode.Unauthorized, "missing_credentials");
        await badLimit.ExpectProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
    }

    [Fact]
    public async Task UserApiKeysSubmitTheUsersJobsAndStopAtOnceWhenRevoked()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        var user = await coordinator.LoginAsync();
        await coordinator.GrantAsync(user.UserId, "1");
        using var session = coordinator.Session(user.Token);
        using var created = await session.PostJsonAsync("/v1/users/api-keys", new { name = "ci" });
        var key = await created.ExpectAsync(HttpStatusCode.Created);
        using var client = coordinator.Client(key.Str("api_key"));

        var jobId = await client.SubmitIdAsync(new { job_type = "embed", parameters = new { }, max_price = "0.25" });
        using var listed = await session.GetAsync("/v1/users/api-keys");
        var item = Assert.Single((await listed.ExpectAsync(HttpStatusCode.OK))["items"]!.AsArray())!;
        using var revoke = await session.DeleteAsync($"/v1/users/api-keys/{key.Str("key_id")}");
        using var afterRevoke = await client.Http.GetAsync($"/v1/client/jobs/{jobId}");
        using var revokeAgain = await session.DeleteAsync($"/v1/users/api-keys/{key.Str("key_id")}");
        using var tooLongName = await session.PostJsonAsync("/v1/users/api-keys", new { name = new string('n', 101) });

        Assert.StartsWith("aitbc_", key.Str("api_key"));
        Assert.Equal("ci", item.Str("name"));
        Assert.Null(item["api_key"]);
        Assert.StartsWith(item.Str("prefix"), key.Str("api_key"), StringComparison.Ordinal);
        Assert.Equal(25_000_000, (await coordinator.BalanceAsync(user.UserId)).Held);
        await revoke.ExpectAsync(HttpStatusCode.NoContent);
        await afterRevoke.ExpectProblemAsync(HttpStatusCode.Unauthorized, "invalid_api_key");
        await revokeAgain.ExpectProblemAsync(HttpStatusCode.NotFound, "api_key_not_found");
        await tooLongName.ExpectProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
    }

    private static IEnumerable<(HttpMethod Method, string Path)> UserRoutes(string userId, string keyId) =>
    [
        (HttpMethod.Get, "/v1/users/me"),
        (HttpMethod.Get, $"/v1/users/{userId}/balance"),
        (HttpMethod.Get, $"/v1/users/{userId}/transactions"),
        (HttpMethod.Get, "/v1/users/api-keys"),
        (HttpMethod.Post, "/v1/users/api-keys"),
        (HttpMethod.Delete, $"/v1/users/api-keys/{keyId}"),
        (HttpMethod.Post, "/v1/users/logout"),
    ];
}
