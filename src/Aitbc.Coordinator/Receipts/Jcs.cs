using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Aitbc.Coordinator.Receipts;

/// <summary>
/// RFC 8785 JSON Canonicalization Scheme: members sorted by their names' UTF-16 code units, numbers in the form
/// ECMAScript's <c>Number.prototype.toString</c> gives, strings escaped as <c>JSON.stringify</c> does, no
/// whitespace, UTF-8 out. Whatever an I-JSON document (RFC 7493) does not allow is refused rather than guessed at:
/// duplicate names, numbers beyond a double's range, strings that are not valid Unicode.
/// </summary>
internal static class Jcs
{
    // Throws on a lone surrogate instead of quietly writing U+FFFD, which would sign something other than was sent.
    private static readonly UTF8Encoding StrictUtf8 =
        new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The canonical UTF-8 bytes; <paramref name="omitMember"/> leaves out one top-level member.</summary>
    public static byte[] Canonicalize(JsonElement element, string? omitMember = null)
    {
        var builder = new StringBuilder();
        if (omitMember is null)
        {
            Write(element, builder);
        }
        else
        {
            WriteObject(element, builder, omitMember);
        }

        return ToUtf8(builder.ToString());
    }

    /// <summary>The canonical form as text, for placing inside a <see cref="JcsObject"/>.</summary>
    public static string CanonicalJson(string json)
    {
        using var document = Parse(json);
        var builder = new StringBuilder(json.Length);
        Write(document.RootElement, builder);
        return builder.ToString();
    }

    /// <summary>A string value in its canonical form, quotes and escapes included.</summary>
    public static string CanonicalString(string? value)
    {
        if (value is null)
        {
            return "null";
        }

        var builder = new StringBuilder(value.Length + 2);
        WriteString(value, builder);
        return builder.ToString();
    }

    /// <summary>UTF-8 of canonical text, refusing the lone surrogates no UTF-8 can carry.</summary>
    public static byte[] ToUtf8(string canonical)
    {
        try
        {
            return StrictUtf8.GetBytes(canonical);
        }
        catch (EncoderFallbackException)
        {
            throw new CanonicalJsonException("a string holds a lone surrogate, which is not Unicode text.");
        }
    }

    public static byte[] Canonicalize(string json)
    {
        using var document = Parse(json);
        return Canonicalize(document.RootElement);
    }

    /// <summary>Lowercase hex SHA-256 of the canonical form: what a receipt holds instead of the data.</summary>
    public static string Sha256Hex(JsonElement element) =>
        Convert.ToHexStringLower(SHA256.HashData(Canonicalize(element)));

    public static string Sha256Hex(string json)
    {
        using var document = Parse(json);
        return Sha256Hex(document.RootElement);
    }

    /// <summary>The hash of the canonical form, or null with a sentence saying why there is none.</summary>
    public static string? TrySha256Hex(JsonElement element, out string? problem)
    {
        try
        {
            problem = null;
            return Sha256Hex(element);
        }
        catch (CanonicalJsonException e)
        {
            problem = e.Message;
            return null;
        }
    }

    private static JsonDocument Parse(string json)
    {
        try
        {
            return JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new CanonicalJsonException($"not JSON: {e.Message}");
        }
    }

    private static void Write(JsonElement element, StringBuilder output)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                WriteObject(element, output);
                break;
            case JsonValueKind.Array:
                output.Append('[');
                var first = true;
                foreach (var item in element.EnumerateArray())
                {
                    if (!first)
                    {
                        output.Append(',');
                    }

                    first = false;
                    Write(item, output);
                }

                output.Append(']');
                break;
            case JsonValueKind.String:
                WriteString(ReadString(element), output);
                break;
            case JsonValueKind.Number:
                output.Append(FormatNumber(ParseNumber(element.GetRawText())));
                break;
            case JsonValueKind.True:
                output.Append("true");
                break;
            case JsonValueKind.False:
                output.Append("false");
                break;
            case JsonValueKind.Null:
                output.Append("null");
                break;
            default:
                throw new CanonicalJsonException($"a {element.ValueKind} value has no JSON form.");
        }
    }

    private static void WriteObject(JsonElement element, StringBuilder output, string? omitMember = null)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new CanonicalJsonException("expected a JSON object.");
        }

        var members = new List<(string Name, JsonElement Value)>();
        var omitted = 0;
        foreach (var property in element.EnumerateObject())
        {
            var name = ReadName(property);
            if (string.Equals(name, omitMember, StringComparison.Ordinal))
            {
                if (omitted++ > 0)
                {
                    throw new CanonicalJsonException($"the member \"{name}\" appears twice in one object.");
                }

                continue;
            }

            members.Add((name, property.Value));
        }

        // Ordinal comparison of .NET strings is comparison of their UTF-16 code units, which is what RFC 8785 asks.
        members.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        output.Append('{');
        for (var i = 0; i < members.Count; i++)
        {
            if (i > 0)
            {
                if (string.Equals(members[i - 1].Name, members[i].Name, StringComparison.Ordinal))
                {
                    throw new CanonicalJsonException($"the member \"{members[i].Name}\" appears twice in one object.");
                }

                output.Append(',');
            }

            WriteString(members[i].Name, output);
            output.Append(':');
            Write(members[i].Value, output);
        }

        output.Append('}');
    }

    private static string ReadString(JsonElement element)
    {
        try
        {
            return element.GetString()!;
        }
        catch (InvalidOperationException)
        {
            throw new CanonicalJsonException("a string is not valid Unicode text.");
        }
    }

    private static string ReadName(JsonProperty property)
    {
        try
        {
            return property.Name;
        }
        catch (InvalidOperationException)
        {
            throw new CanonicalJsonException("a member name is not valid Unicode text.");
        }
    }

    /// <summary>RFC 8785 §3.2.2.2: short escapes, <c>\u00xx</c> (lowercase) for other controls, else as is.</summary>
    private static void WriteString(string value, StringBuilder output)
    {
        output.Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"':
                    output.Append("\\\"");
                    break;
                case '\\':
                    output.Append("\\\\");
                    break;
                case '\b':
                    output.Append("\\b");
                    break;
                case '\f':
                    output.Append("\\f");
                    break;
                case '\n':
                    output.Append("\\n");
                    break;
                case '\r':
                    output.Append("\\r");
                    break;
                case '\t':
                    output.Append("\\t");
                    break;
                case < ' ':
                    output.Append("\\u00").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
                    break;
                default:
                    output.Append(c);
                    break;
            }
        }

        output.Append('"');
    }

    private static double ParseNumber(string text)
    {
        var value = double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
        if (!double.IsFinite(value))
        {
            throw new CanonicalJsonException($"the number {Shorten(text)} is beyond the range of an IEEE 754 double.");
        }

        return value;
    }

    /// <summary>
    /// ECMAScript's Number::toString (ECMA-262 §6.1.6.1.20) for finite values. .NET's round-trip format gives the
    /// shortest digits that read back as the same double, as ECMAScript asks; only their layout differs.
    /// </summary>
    public static string FormatNumber(double value)
    {
        if (!double.IsFinite(value))
        {
            throw new CanonicalJsonException("NaN and Infinity have no JSON form.");
        }

        if (value == 0)
        {
            // Negative zero too.
            return "0";
        }

        var shortest = Math.Abs(value).ToString("R", CultureInfo.InvariantCulture);
        var e = shortest.IndexOfAny(['E', 'e']);
        var mantissa = e < 0 ? shortest : shortest[..e];
        var exponent = e < 0
            ? 0
            : int.Parse(shortest[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        var dot = mantissa.IndexOf('.', StringComparison.Ordinal);
        var digits = dot < 0 ? mantissa : mantissa.Remove(dot, 1);
        var point = (dot < 0 ? mantissa.Length : dot) + exponent;

        // Now value = 0.digits × 10^point; drop the zeros that carry no digit.
        var leading = digits.Length - digits.TrimStart('0').Length;
        digits = digits.TrimStart('0').TrimEnd('0');
        point -= leading;

        var k = digits.Length;
        var n = point;
        var sign = value < 0 ? "-" : "";
        string text;
        if (k <= n && n <= 21)
        {
            text = digits + new string('0', n - k);
        }
        else if (0 < n && n <= 21)
        {
            text = digits[..n] + "." + digits[n..];
        }
        else if (-6 < n && n <= 0)
        {
            text = "0." + new string('0', -n) + digits;
        }
        else
        {
            var power = n - 1;
            var exponentText = (power < 0 ? "-" : "+") + Math.Abs(power).ToString(CultureInfo.InvariantCulture);
            text = k == 1 ? $"{digits}e{exponentText}" : $"{digits[0]}.{digits[1..]}e{exponentText}";
        }

        return sign + text;
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";
}

/// <summary>
/// An object the Coordinator composes itself, written straight in its canonical form: each member's value is made
/// canonical as it is added, and the members are sorted once when written. Cheaper than writing JSON, parsing it
/// back and canonicalizing the tree, which is what a receipt on the single writer's path would otherwise cost.
/// </summary>
internal sealed class JcsObject
{
    private readonly List<(string Name, string Value)> _members = new(24);

    public JcsObject String(string name, string? value) => Add(name, Jcs.CanonicalString(value));

    /// <summary>Integers up to 2^53 read the same in any JSON parser, so their decimal digits are canonical.</summary>
    public JcsObject Number(string name, long value)
    {
        const long Exact = 1L << 53;
        return value is > -Exact and < Exact
            ? Add(name, value.ToString(System.Globalization.CultureInfo.InvariantCulture))
            : throw new CanonicalJsonException($"the integer {value} is beyond the exact range of a double.");
    }

    /// <summary>A value that is JSON already (or null); it is made canonical here.</summary>
    public JcsObject Json(string name, string? json) => Add(name, json is null ? "null" : Jcs.CanonicalJson(json));

    public JcsObject Object(string name, JcsObject value) => Add(name, value.ToText());

    public string ToText()
    {
        // Sorted on a copy, so more members can still be added to this one afterwards.
        var members = _members.ToArray();
        Array.Sort(members, (a, b) => string.CompareOrdinal(a.Name, b.Name));
        var builder = new StringBuilder(members.Sum(m => m.Name.Length + m.Value.Length + 4) + 2);
        builder.Append('{');
        for (var i = 0; i < members.Length; i++)
        {
            if (i > 0)
            {
                if (string.Equals(members[i - 1].Name, members[i].Name, StringComparison.Ordinal))
                {
                    throw new CanonicalJsonException($"the member \"{members[i].Name}\" appears twice in one object.");
                }

                builder.Append(',');
            }

            builder.Append(Jcs.CanonicalString(members[i].Name)).Append(':').Append(members[i].Value);
        }

        return builder.Append('}').ToString();
    }

    public byte[] ToUtf8() => Jcs.ToUtf8(ToText());

    private JcsObject Add(string name, string canonical)
    {
        _members.Add((name, canonical));
        return this;
    }
}

/// <summary>JSON that has no canonical form under RFC 8785; the message says why in a few words.</summary>
internal sealed class CanonicalJsonException(string message) : Exception(message);
