namespace Aitbc.Client.Receipts;

/// <summary>
/// Verifies receipts offline against pinned keys, trusting the Coordinator's key list only the first time
/// (<see cref="ReceiptKeyPins"/>). The keys are fetched from <c>/v1/receipts/keys</c> only when there are no pins
/// yet, when a receipt names a key id not pinned (the Coordinator rotated its key: the new id is added), or when a
/// signature fails with a pinned key (to tell a changed receipt from a changed key, which fails loudly). The
/// Coordinator's own verifier is never asked.
/// </summary>
public sealed class PinnedReceiptVerifier(ReceiptsClient receipts, ReceiptKeyPins pins, TimeProvider? clock = null)
{
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;

    /// <exception cref="ReceiptKeyPinException">The Coordinator serves another key for a pinned key id.</exception>
    public async Task<PinnedVerification> VerifyAsync(
        IReadOnlyList<SignedReceipt> toVerify, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(toVerify);
        var verdicts = Verify(toVerify);
        if (toVerify.Count == 0)
        {
            return new PinnedVerification(verdicts, [], FirstUse: false);
        }

        var firstUse = !pins.Exists;
        var keyMissing = firstUse || verdicts.Any(v => v.Reason == "unknown_kid");
        var keyDoubted = verdicts.Any(v => v.Reason == "bad_signature");
        if (!keyMissing && !keyDoubted)
        {
            return new PinnedVerification(verdicts, [], FirstUse: false);
        }

        ReceiptKeySet served;
        try
        {
            served = await receipts.GetKeysAsync(cancel: cancel).ConfigureAwait(false);
        }
        catch (Exception e) when (!keyMissing && e is AitbcApiException or AitbcNetworkException
            or AitbcProtocolException)
        {
            // Every key was pinned and the fetch only meant to explain a bad signature: the verdicts stand.
            return new PinnedVerification(verdicts, [], FirstUse: false);
        }

        var added = pins.Merge(served, _clock.GetUtcNow());
        if (added.Count > 0)
        {
            pins.Save();
            verdicts = Verify(toVerify);
        }

        return new PinnedVerification(verdicts, added, firstUse && added.Count > 0);
    }

    private List<ReceiptVerdict> Verify(IReadOnlyList<SignedReceipt> toVerify)
    {
        var keys = pins.Keys;
        return [.. toVerify.Select(r => ReceiptVerifier.Verify(r, keys))];
    }
}

/// <summary>One verdict per receipt, in order, and the key ids this run pinned (all of them on first use).</summary>
public sealed record PinnedVerification(
    IReadOnlyList<ReceiptVerdict> Verdicts, IReadOnlyList<string> NewlyPinned, bool FirstUse)
{
    public bool AllValid => Verdicts.All(v => v.Valid);
}
