using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Aitbc.Client.Receipts;

/// <summary>
/// RFC 8785, the JSON Canonicalization Scheme, written for this client so that receipts verify without the
/// Coordinator's code: object members sorted by the UTF-16 code units of their names, no insignificant whitespace,
/// numbers as ECMAScript prints them, strings with the fewest escapes JSON allows, all in UTF-8. Input that is not
/// I-JSON (RFC 7493) has no canonical form and throws <see cref="CanonicalJsonException"/>: a repeated member name, a
/// number no IEEE 754 double can hold, a string that is not Unicode text.
/// </summary>
public static class CanonicalJson
{
    private static readonly JsonDocumentOptions Strict = new()
    {
        AllowTrailingCommas = false,
        CommentHandling = JsonCommentHandling.Disallow,
        MaxDepth = 128,
    };

    /// <summary>The canonical form of a JSON text given as UTF-8.</summary>
    public static byte[] Canonicalize(ReadOnlySpan<byte> utf8Json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8Json.ToArray(), Strict);
        }
        catch (JsonException e)
        {
            throw new CanonicalJsonException($"not JSON: {e.Message}");
        }

        using (document)
        {
            return Canonicalize(document.RootElement);
        }
    }

    /// <summary>
    /// The canonical form of <paramref name="value"/>. When it is an object, <paramref name="leaveOut"/> names a
    /// member of it (not of nested objects) to write without: a receipt is signed without its <c>signature</c>.
    /// </summary>
    public static byte[] Canonicalize(JsonElement value, string? leaveOut = null)
    {
        var output = new ArrayBufferWriter<byte>(512);
        WriteValue(value, output, leaveOut);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>
    /// A double as ECMAScript's <c>Number.prototype.toString()</c> writes it (ECMA-262, Number::toString): the
    /// shortest digits that read back as the same double, laid out in plain or exponent form by their magnitude.
    /// </summary>
    public static string FormatNumber(double value)
    {
        if (double.IsNaN(value) || double.IsInfinity(value))
        {
            throw new CanonicalJsonException("NaN and the infinities are not JSON numbers.");
        }

        if (value == 0)
        {
            // -0 too: ECMAScript prints both zeros as "0".
            return "0";
        }

        var (digits, exponent) = ShortestDigits(Math.Abs(value));
        var text = Layout(digits, exponent);
        return value < 0 ? "-" + text : text;
    }

    /// <summary>
    /// The shortest decimal digits <c>d1 d2 … dk</c> (no leading or trailing zero) and the exponent <c>n</c> with
    /// value = 0.d1…dk × 10^n. .NET's "R" format already finds the shortest digits that read back as the same
    /// double, as ECMAScript asks; it lays them out its own way (plain, or with an exponent), which is undone here.
    /// </summary>
    private static (string Digits, int Exponent) ShortestDigits(double positive)
    {
        var shortest = positive.ToString("R", CultureInfo.InvariantCulture);
        var e = shortest.IndexOfAny(['E', 'e']);
        var mantissa = e < 0 ? shortest : shortest[..e];
        var scale = e < 0
            ? 0
            : int.Parse(shortest.AsSpan(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        var point = mantissa.IndexOf('.', StringComparison.Ordinal);
        var beforePoint = point < 0 ? mantissa.Length : point;
        var all = mantissa.Replace(".", "", StringComparison.Ordinal);
        var significant = all.TrimStart('0');
        var leadingZeros = all.Length - significant.Length;

        // 0.(all) × 10^(beforePoint + scale); each leading zero dropped moves the point one place.
        return (significant.TrimEnd('0'), beforePoint + scale - leadingZeros);
    }

    /// <summary>ECMA-262 Number::toString, steps 6 to 10, for value = 0.digits × 10^n.</summary>
    private static string Layout(string digits, int n)
    {
        var k = digits.Length;
        if (k <= n && n <= 21)
        {
            return digits + new string('0', n - k);
        }

        if (0 < n && n <= 21)
        {
            return string.Concat(digits.AsSpan(0, n), ".", digits.AsSpan(n));
        }

        if (-6 < n && n <= 0)
        {
            return "0." + new string('0', -n) + digits;
        }

        var power = n - 1;
        var sign = power < 0 ? '-' : '+';
        var magnitude = Math.Abs(power).ToString(CultureInfo.InvariantCulture);
        return k == 1
            ? $"{digits}e{sign}{magnitude}"
            : $"{digits[0]}.{digits[1..]}e{sign}{magnitude}";
    }

    private static void WriteValue(JsonElement value, ArrayBufferWriter<byte> output, string? leaveOut = null)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                WriteObject(value, output, leaveOut);
                break;
            case JsonValueKind.Array:
                Append(output, "["u8);
                var index = 0;
                foreach (var item in value.EnumerateArray())
                {
                    if (index++ > 0)
                    {
                        Append(output, ","u8);
                    }

                    WriteValue(item, output);
                }

                Append(output, "]"u8);
                break;
            case JsonValueKind.String:
                WriteString(TextOf(value), output);
                break;
            case JsonValueKind.Number:
                WriteNumber(value, output);
                break;
            case JsonValueKind.True:
                Append(output, "true"u8);
                break;
            case JsonValueKind.False:
                Append(output, "false"u8);
                break;
            case JsonValueKind.Null:
                Append(output, "null"u8);
                break;
            default:
                throw new CanonicalJsonException($"a value of kind {value.ValueKind} cannot be written as JSON.");
        }
    }

    private static void WriteObject(JsonElement value, ArrayBufferWriter<byte> output, string? leaveOut)
    {
        var members = new SortedDictionary<string, JsonElement>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var member in value.EnumerateObject())
        {
            var name = NameOf(member);

            // A name given twice has no single meaning; refuse it even when it is the member left out.
            if (!seen.Add(name))
            {
                throw new CanonicalJsonException($"the name \"{name}\" is used twice in one object.");
            }

            if (!string.Equals(name, leaveOut, StringComparison.Ordinal))
            {
                members.Add(name, member.Value);
            }
        }

        // StringComparer.Ordinal orders .NET strings by their UTF-16 code units, the order RFC 8785 §3.2.3 asks for.
        Append(output, "{"u8);
        var first = true;
        foreach (var (name, member) in members)
        {
            if (!first)
            {
                Append(output, ","u8);
            }

            first = false;
            WriteString(name, output);
            Append(output, ":"u8);
            WriteValue(member, output);
        }

        Append(output, "}"u8);
    }

    private static void WriteNumber(JsonElement value, ArrayBufferWriter<byte> output)
    {
        var raw = value.GetRawText();
        if (!double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
            || double.IsInfinity(number))
        {
            var shown = raw.Length > 32 ? raw[..32] + "…" : raw;
            throw new CanonicalJsonException($"the number {shown} does not fit an IEEE 754 double.");
        }

        Append(output, Encoding.ASCII.GetBytes(FormatNumber(number)));
    }

    /// <summary>
    /// RFC 8785 §3.2.2.2: quotation mark and backslash escaped, the controls with a short escape where JSON has
    /// one and as <c>\u00xx</c> (lowercase hex) otherwise, every other character as itself in UTF-8.
    /// </summary>
    private static void WriteString(string text, ArrayBufferWriter<byte> output)
    {
        Append(output, "\""u8);
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsSurrogate(c))
            {
                if (!char.IsHighSurrogate(c) || i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1]))
                {
                    throw new CanonicalJsonException("a string holds half of a surrogate pair: it is not Unicode.");
                }

                i++;
                continue;
            }

            var escape = c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\b' => "\\b",
                '\t' => "\\t",
                '\n' => "\\n",
                '\f' => "\\f",
                '\r' => "\\r",
                < ' ' => "\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture),
                _ => null,
            };
            if (escape is null)
            {
                continue;
            }

            AppendUtf8(output, text.AsSpan(start, i - start));
            AppendUtf8(output, escape);
            start = i + 1;
        }

        AppendUtf8(output, text.AsSpan(start));
        Append(output, "\""u8);
    }

    private static string TextOf(JsonElement value)
    {
        try
        {
            return value.GetString()!;
        }
        catch (InvalidOperationException)
        {
            throw new CanonicalJsonException("a string is not Unicode text (an unpaired surrogate escape).");
        }
    }

    private static string NameOf(JsonProperty member)
    {
        try
        {
            return member.Name;
        }
        catch (InvalidOperationException)
        {
            throw new CanonicalJsonException("a member name is not Unicode text (an unpaired surrogate escape).");
        }
    }

    private static void Append(ArrayBufferWriter<byte> output, ReadOnlySpan<byte> bytes) => output.Write(bytes);

    private static void AppendUtf8(ArrayBufferWriter<byte> output, ReadOnlySpan<char> text)
    {
        var span = output.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length));
        output.Advance(Encoding.UTF8.GetBytes(text, span));
    }
}

/// <summary>The JSON has no RFC 8785 canonical form; the message says why in a few words.</summary>
public sealed class CanonicalJsonException(string message) : Exception(message);
