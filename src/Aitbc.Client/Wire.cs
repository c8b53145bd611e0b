using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Aitbc.Client;

/// <summary>The Coordinator's wire format: snake_case names and enum values, AITBC amounts as strings.</summary>
public static class Wire
{
    public static JsonSerializerOptions Options { get; } = Create();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        };
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
        options.Converters.Add(new UtcTimeConverter());
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}

/// <summary>
/// An AITBC amount is a <see cref="decimal"/> here and a decimal string with at most eight places on the wire
/// (<c>"12.5"</c>), never a float; a value with more places is refused rather than rounded.
/// </summary>
public sealed class AitbcAmountConverter : JsonConverter<decimal>
{
    public const int Decimals = 8;

    public override decimal Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.TokenType == JsonTokenType.String
            ? reader.GetString()
            : throw new JsonException("An AITBC amount must be a decimal string.");
        return decimal.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new JsonException($"'{text}' is not an AITBC amount.");
    }

    public override void Write(Utf8JsonWriter writer, decimal value, JsonSerializerOptions options) =>
        writer.WriteStringValue(Format(value));

    /// <summary>The wire form: no exponent, no trailing zeros, at most eight places.</summary>
    public static string Format(decimal value)
    {
        if (value < 0 || decimal.Round(value, Decimals) != value)
        {
            throw new ArgumentOutOfRangeException(nameof(value), value,
                "An AITBC amount is not negative and has at most 8 decimal places.");
        }

        return value.ToString("0.########", CultureInfo.InvariantCulture);
    }
}

/// <summary>Times are written as the Coordinator writes them: UTC, ISO 8601, with a <c>Z</c>.</summary>
public sealed class UtcTimeConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.GetDateTimeOffset().ToUniversalTime();

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
        writer.WriteStringValue(
            value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
}
