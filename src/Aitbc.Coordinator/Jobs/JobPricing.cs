namespace Aitbc.Coordinator.Jobs;

/// <summary>
/// What a finished job costs. Units are GPU-seconds measured by the Coordinator from the start of the lease to the
/// result, kept in thousandths; the unit price is the miner's, fixed when it took the lease, so re-registering
/// mid-job changes nothing. The price never exceeds the client's budget.
/// </summary>
internal static class JobPricing
{
    public const int MilliUnitsPerUnit = 1000;

    public static long MilliUnits(DateTime leaseStartedAt, DateTime finishedAt) =>
        Math.Max(0, (long)(finishedAt - leaseStartedAt).TotalMilliseconds);

    /// <summary>
    /// The price in 10^-8 AITBC: <c>min(units × unit price, max price)</c>, rounded down, so any rounding favours
    /// the client by less than one 10^-8 AITBC.
    /// </summary>
    public static long Price(long milliUnits, long unitPrice, long? maxPrice)
    {
        var price = (Int128)milliUnits * unitPrice / MilliUnitsPerUnit;
        var capped = maxPrice is { } max && price > max ? max : price;
        return capped > long.MaxValue ? long.MaxValue : (long)capped;
    }
}
