using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Aitbc.Coordinator.Common;

/// <summary>
/// An amount of AITBC as a whole number of 10^-8 AITBC. On the wire it is a decimal string with at most eight
/// places (<c>"12.5"</c>, <c>"0.00000001"</c>); a JSON number is accepted on input when it is exact.
/// </summary>
[JsonConverter(typeof(AitbcAmountJsonConverter))]
internal readonly record struct AitbcAmount(long Units) : IComparable<AitbcAmount>
{
    public const int Decimals = 8;
    public const long UnitsPerCoin = 100_000_000;

    /// <summary>
    /// 21 billion AITBC: far above any sane amount, and far below where <c>long</c> arithmetic overflows.
    /// </summary>
    public static readonly AitbcAmount Max = new(21_000_000_000L * UnitsPerCoin);

    public static AitbcAmount Zero => default;

    public static bool TryParse(string text, out AitbcAmount amount)
    {
        amount = default;
        if (text.Length is 0 or > 32 || text[0] == '.' || text[^1] == '.')
        {
            return false;
        }

        var dot = text.IndexOf('.', StringComparison.Ordinal);
        var whole = dot < 0 ? text : text[..dot];
        var fraction = dot < 0 ? "" : text[(dot + 1)..];
        if (fraction.Length > Decimals || !whole.All(char.IsAsciiDigit) || !fraction.All(char.IsAsciiDigit))
        {
            return false;
        }

        if (!long.TryParse(whole, NumberStyles.None, CultureInfo.InvariantCulture, out var coins)
            || coins > Max.Units / UnitsPerCoin)
        {
            return false;
        }

        var units = coins * UnitsPerCoin
            + (fraction.Length == 0 ? 0 : long.Parse(fraction.PadRight(Decimals, '0'), CultureInfo.InvariantCulture));
        if (units > Max.Units)
        {
            return false;
        }

        amount = new AitbcAmount(units);
        return true;
    }

    public override string ToString()
    {
        var whole = Units / UnitsPerCoin;
        var fraction = Units % UnitsPerCoin;
        var sign = Units < 0 ? "-" : "";
        if (fraction == 0)
        {
            return sign + Math.Abs(whole).ToString(CultureInfo.InvariantCulture);
        }

        var digits = Math.Abs(fraction).ToString("D8", CultureInfo.InvariantCulture).TrimEnd('0');
        return $"{sign}{Math.Abs(whole).ToString(CultureInfo.InvariantCulture)}.{digits}";
    }

    public int CompareTo(AitbcAmount other) => Units.CompareTo(other.Units);

    public static bool operator <(AitbcAmount a, AitbcAmount b) => a.Units < b.Units;

    public static bool operator >(AitbcAmount a, AitbcAmount b) => a.Units > b.Units;

    public static bool operator <=(AitbcAmount a, AitbcAmount b) => a.Units <= b.Units;

    public static bool operator >=(AitbcAmount a, AitbcAmount b) => a.Units >= b.Units;
}

internal sealed class AitbcAmountJsonConverter : JsonConverter<AitbcAmount>
{
    public override AitbcAmount Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.TokenType switch
        {
            JsonTokenType.String => reader.GetString()!,
            JsonTokenType.Number => System.Text.Encoding.UTF8.GetString(reader.ValueSpan),
            _ => throw new JsonException("An AITBC amount must be a decimal string such as \"12.5\"."),
        };

        return AitbcAmount.TryParse(text, out var amount)
            ? amount
            : throw new JsonException(
                $"'{Truncate(text)}' is not an AITBC amount: use a non-negative decimal with at most 8 places.");
    }

    public override void Write(Utf8JsonWriter writer, AitbcAmount value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString());

    private static string Truncate(string text) => text.Length <= 40 ? text : text[..40] + "…";
}
