namespace Aitbc.Coordinator.Exchange;

/// <summary>
/// Conversions between satoshis and 10^-8 AITBC, exact in integers. The rate is 10^-8 AITBC per BTC, that is per
/// 10^8 satoshis. Products go through <see cref="Int128"/>, so no amount the API accepts can overflow.
/// </summary>
internal static class PaymentMath
{
    public const long SatsPerBtc = 100_000_000;

    /// <summary>21 million BTC: no real payment is larger.</summary>
    public const long MaxSats = 21_000_000 * SatsPerBtc;

    /// <summary>
    /// What to pay for <paramref name="aitbcUnits"/>: rounded up to the next whole satoshi, so the buyer pays less
    /// than one satoshi more than the exact price and is never short of what they asked for.
    /// </summary>
    public static long SatsFor(long aitbcUnits, long rateUnits)
    {
        var numerator = (Int128)aitbcUnits * SatsPerBtc;
        return (long)((numerator + rateUnits - 1) / rateUnits);
    }

    /// <summary>
    /// What <paramref name="sats"/> buy: rounded down to whole 10^-8 AITBC. The rate is at least 1 AITBC per BTC
    /// (checked at start), so what the rounding keeps back is always worth less than one satoshi.
    /// </summary>
    public static long AitbcFor(long sats, long rateUnits) => (long)((Int128)sats * rateUnits / SatsPerBtc);
}
