using System.Text;
using System.Text.Json;
using Aitbc.Client;
using Aitbc.Client.Admin;
using Aitbc.Client.Jobs;
using Aitbc.Client.Miners;
using Aitbc.Client.Receipts;
using Aitbc.Coordinator.Tests.Infrastructure;

namespace Aitbc.Cli.Tests;

/// <summary>The typed client's receipts and admin areas in-process against a real Coordinator.</summary>
public sealed class ReceiptLibraryTests
{
    [Fact]
    public async Task ReceiptsKeepTheirBytesFormAChainAndVerifyOffline()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        using var client = new AitbcClient(coordinator.BaseAddress, coordinator.ClientKey);
        using var miner = new AitbcClient(coordinator.BaseAddress, coordinator.Keys[2]);
        using var stranger = new AitbcClient(coordinator.BaseAddress, coordinator.Keys[3]);
        using var anonymous = new AitbcClient(coordinator.BaseAddress, null);
        await miner.Miner.RegisterAsync(new RegisterMinerRequest());
        var jobs = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var job = await client.Jobs.SubmitAsync(new SubmitJobRequest
            {
                JobType = "echo",
                Parameters = JsonSerializer.SerializeToElement(new { n = i, text = "é \u2028 😀" }),
            });
            var lease = Assert.Single(await miner.Miner.TakeJobsAsync(TimeSpan.FromSeconds(5)));
            await miner.Miner.SubmitResultAsync(JobResult.Completed(lease, lease.Parameters));
            jobs.Add(job.Job.JobId);
        }

        var keys = await anonymous.Receipts.GetKeysAsync();
        var wellKnown = await anonymous.Receipts.GetKeysAsync(wellKnown: true);
        var receipts = new List<SignedReceipt>();
        foreach (var jobId in jobs)
        {
            receipts.Add(Assert.Single(await client.Receipts.ListForJobAsync(jobId)));
        }

        var firstPage = await miner.Receipts.ListMineAsync(limit: 2);
        var secondPage = await miner.Receipts.ListMineAsync(limit: 2, cursor: firstPage.NextCursor);
        var all = new List<SignedReceipt>();
        await foreach (var receipt in miner.Receipts.ListAllMineAsync(pageSize: 1))
        {
            all.Add(receipt);
        }

        var key = Assert.Single(keys.Keys);
        Assert.Equal(key, Assert.Single(wellKnown.Keys));
        Assert.Equal(key.Kid, ReceiptVerifier.Thumbprint(key.X));
        using var http = coordinator.CreateClient(coordinator.ClientKey);
        foreach (var receipt in receipts)
        {
            var served = await http.GetByteArrayAsync(new Uri($"/v1/receipts/{receipt.ReceiptId}", UriKind.Relative));
            Assert.Equal(served, receipt.Utf8.ToArray());
            Assert.Equal(served, (await miner.Receipts.GetAsync(receipt.ReceiptId!)).Utf8.ToArray());
            Assert.Equal(Encoding.UTF8.GetString(served), JsonSerializer.Serialize(receipt, Wire.Options));
            Assert.Equal(Encoding.UTF8.GetString(served), receipt.ToString());
        }

        Assert.Equal([1L, 2L, 3L], receipts.Select(r => r.Seq!.Value));
        Assert.Equal(new string('0', 64), receipts[0].PrevSha256);
        Assert.Equal(receipts[0].Sha256Hex(), receipts[1].PrevSha256);
        Assert.Equal(receipts[1].Sha256Hex(), receipts[2].PrevSha256);
        Assert.Equal([3L, 2L], firstPage.Receipts.Select(r => r.Seq!.Value));
        Assert.Equal([1L], secondPage.Receipts.Select(r => r.Seq!.Value));
        Assert.Null(secondPage.NextCursor);
        Assert.Equal([3L, 2L, 1L], all.Select(r => r.Seq!.Value));

        var trusted = keys.Keys.ToDictionary(k => k.Kid, k => k.X);
        foreach (var receipt in receipts)
        {
            var offline = ReceiptVerifier.Verify(receipt, trusted);
            var online = await anonymous.Receipts.VerifyOnServerAsync(receipt);
            Assert.True(offline.Valid, offline.Detail);
            Assert.Equal(online with { Detail = "" }, new ServerVerification(true, "signature_valid", "",
                receipt.ReceiptId, key.Kid));
        }

        // Any change to a signed member, however small, and both verifiers refuse it for the same reason.
        var text = receipts[1].ToString();
        var units = receipts[1].Units!;
        var changed = SignedReceipt.Parse(Encoding.UTF8.GetBytes(text.Replace($"\"units\":\"{units}\"",
            $"\"units\":\"{units}1\"", StringComparison.Ordinal)));
        var reformatted = SignedReceipt.Parse(Encoding.UTF8.GetBytes(
            JsonSerializer.Serialize(receipts[1].Element, new JsonSerializerOptions { WriteIndented = true })));
        Assert.Equal("bad_signature", ReceiptVerifier.Verify(changed, trusted).Reason);
        Assert.Equal("bad_signature", (await anonymous.Receipts.VerifyOnServerAsync(changed)).Reason);
        Assert.Equal("unknown_kid", ReceiptVerifier.Verify(receipts[1], new Dictionary<string, string>()).Reason);
        Assert.True(ReceiptVerifier.Verify(reformatted, trusted).Valid);

        await Assert.ThrowsAsync<AitbcNotFoundException>(() => stranger.Receipts.GetAsync(receipts[0].ReceiptId!));
        await Assert.ThrowsAsync<AitbcNotFoundException>(() => stranger.Receipts.ListForJobAsync(jobs[0]));
        var unregistered = await Assert.ThrowsAsync<AitbcConflictException>(() => stranger.Receipts.ListMineAsync());
        Assert.Equal("miner_not_registered", unregistered.Code);
    }

    [Theory]
    [InlineData("[1, 2]", "not_an_object")]
    [InlineData("""{"receipt_id": "rct_x"}""", "missing_signature")]
    [InlineData("""{"signature": {"alg": "RS256", "kid": "k", "sig": "AA"}}""", "unsupported_alg")]
    [InlineData("""{"signature": {"alg": "Ed25519", "kid": "k", "sig": "too-short"}}""", "malformed_signature")]
    [InlineData("""{"signature": {"alg": "Ed25519", "sig": "AA"}}""", "malformed_signature")]
    public void MalformedReceiptsGetTheServersReasons(string json, string reason)
    {
        var receipt = SignedReceipt.Parse(Encoding.UTF8.GetBytes(json));

        var verdict = ReceiptVerifier.Verify(receipt, new Dictionary<string, string>());

        Assert.False(verdict.Valid);
        Assert.Equal(reason, verdict.Reason);
    }

    [Fact]
    public void PinsRefuseAKeyNotNamedByItsThumbprintAndAChangedKey()
    {
        using var directory = new TestDirectory();
        var coordinator = new Uri("http://user:secret@coordinator.example:8000/");
        var key = NewKey();
        var rotated = NewKey();
        var pins = ReceiptKeyPins.Load(directory.Path, coordinator);

        var firstUse = pins.Merge(new ReceiptKeySet([key]), DateTimeOffset.UtcNow);
        pins.Save();
        var reloaded = ReceiptKeyPins.Load(directory.Path, new Uri("http://coordinator.example:8000"));
        var again = reloaded.Merge(new ReceiptKeySet([rotated, key]), DateTimeOffset.UtcNow);
        var liar = Assert.Throws<ReceiptKeyPinException>(() => reloaded.Merge(
            new ReceiptKeySet([NewKey() with { Kid = key.Kid }]), DateTimeOffset.UtcNow));

        // The pin file edited: the kid now holds another key than the Coordinator serves under it.
        File.WriteAllText(reloaded.FilePath,
            File.ReadAllText(reloaded.FilePath).Replace(key.X, NewKey().X, StringComparison.Ordinal));
        var edited = ReceiptKeyPins.Load(directory.Path, coordinator);
        var swapped = Assert.Throws<ReceiptKeyPinException>(() => edited.Merge(
            new ReceiptKeySet([key]), DateTimeOffset.UtcNow));
        File.WriteAllText(reloaded.FilePath, "{}}");

        Assert.Equal([key.Kid], firstUse);
        Assert.Equal([rotated.Kid], again);
        Assert.True(reloaded.Exists);
        Assert.Equal(key.X, reloaded.Keys[key.Kid]);
        Assert.Equal(rotated.X, reloaded.Keys[rotated.Kid]);
        Assert.DoesNotContain("secret", File.ReadAllText(reloaded.FilePath), StringComparison.Ordinal);
        Assert.Equal("key_not_trusted", liar.Code);
        Assert.Equal("key_pin_mismatch", swapped.Code);
        Assert.Equal("pin_file_unreadable",
            Assert.Throws<ReceiptKeyPinException>(() => ReceiptKeyPins.Load(directory.Path, coordinator)).Code);
        Assert.Equal("kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k",
            ReceiptVerifier.Thumbprint("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"));
    }

    private static ReceiptKey NewKey()
    {
        using var key = NSec.Cryptography.Key.Create(NSec.Cryptography.SignatureAlgorithm.Ed25519);
        var x = System.Buffers.Text.Base64Url.EncodeToString(
            key.PublicKey.Export(NSec.Cryptography.KeyBlobFormat.RawPublicKey));
        return new ReceiptKey { Kid = ReceiptVerifier.Thumbprint(x), Kty = "OKP", Crv = "Ed25519", X = x };
    }

    [Fact]
    public void ACreatedKeyIsNotPrintedByToString()
    {
        var created = new CreatedApiKey
        {
            KeyId = "key_1",
            Name = "laptop",
            Roles = ["client"],
            Prefix = "aitbc_Ab",
            Source = "admin",
            Key = "aitbc_AbSecretSecretSecret",
        };

        Assert.DoesNotContain("Secret", created.ToString(), StringComparison.Ordinal);
        Assert.Contains("key_1", created.ToString(), StringComparison.Ordinal);
    }
}
