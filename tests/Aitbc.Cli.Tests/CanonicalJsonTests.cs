using System.Globalization;
using System.Text;
using System.Text.Json;
using Aitbc.Client.Receipts;
using Jcs = Aitbc.Coordinator.Receipts.Jcs;

namespace Aitbc.Cli.Tests;

/// <summary>
/// The client's own RFC 8785 canonicalizer: the RFC's examples byte for byte, what I-JSON forbids, and agreement with
/// the Coordinator's canonicalizer (which signs the receipts) on many generated documents and numbers.
/// </summary>
public sealed class CanonicalJsonTests
{
    [Fact]
    public void RfcSampleBecomesTheRfcBytes()
    {
        // RFC 8785 §3.2.2 (input) and §3.2.4 (its canonical form in UTF-8, as hex).
        var input = """
            {
              "numbers": [333333333.33333329, 1E30, 4.50,
                          2e-3, 0.000000000000000000000000001],
              "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
              "literals": [null, true, false]
            }
            """u8;
        var expected = Convert.FromHexString(string.Concat("""
            7b 22 6c 69 74 65 72 61 6c 73 22 3a 5b 6e 75 6c 6c 2c 74 72
            75 65 2c 66 61 6c 73 65 5d 2c 22 6e 75 6d 62 65 72 73 22 3a
            5b 33 33 33 33 33 33 33 33 33 2e 33 33 33 33 33 33 33 2c 31
            65 2b 33 30 2c 34 2e 35 2c 30 2e 30 30 32 2c 31 65 2d 32 37
            5d 2c 22 73 74 72 69 6e 67 22 3a 22 e2 82 ac 24 5c 75 30 30
            30 66 5c 6e 41 27 42 5c 22 5c 5c 5c 5c 5c 22 2f 22 7d
            """.Where(char.IsAsciiHexDigit)));

        Assert.Equal(expected, CanonicalJson.Canonicalize(input));
    }

    [Fact]
    public void NamesSortByUtf16CodeUnitsNotCodePoints()
    {
        // RFC 8785 §3.2.3: U+1F600 is stored as the surrogates D83D DE00, which sort before U+FB33.
        var input = """
            {"\u20ac": "Euro Sign", "\r": "Carriage Return", "\ufb33": "Hebrew Letter Dalet With Dagesh",
             "1": "One", "\ud83d\ude00": "Emoji: Grinning Face", "\u0080": "Control",
             "\u00f6": "Latin Small Letter O With Diaeresis"}
            """u8;

        var names = JsonDocument.Parse(CanonicalJson.Canonicalize(input)).RootElement.EnumerateObject()
            .Select(m => m.Value.GetString()).ToList();

        Assert.Equal(
            [
                "Carriage Return", "One", "Control", "Latin Small Letter O With Diaeresis", "Euro Sign",
                "Emoji: Grinning Face", "Hebrew Letter Dalet With Dagesh",
            ],
            names);
    }

    [Theory]
    // RFC 8785 Appendix B: IEEE 754 bit patterns and the text ECMAScript gives them.
    [InlineData("0000000000000000", "0")]
    [InlineData("8000000000000000", "0")]
    [InlineData("0000000000000001", "5e-324")]
    [InlineData("8000000000000001", "-5e-324")]
    [InlineData("7fefffffffffffff", "1.7976931348623157e+308")]
    [InlineData("ffefffffffffffff", "-1.7976931348623157e+308")]
    [InlineData("4340000000000000", "9007199254740992")]
    [InlineData("c340000000000000", "-9007199254740992")]
    [InlineData("4430000000000000", "295147905179352830000")]
    [InlineData("44b52d02c7e14af5", "9.999999999999997e+22")]
    [InlineData("44b52d02c7e14af6", "1e+23")]
    [InlineData("44b52d02c7e14af7", "1.0000000000000001e+23")]
    [InlineData("444b1ae4d6e2ef4e", "999999999999999700000")]
    [InlineData("444b1ae4d6e2ef4f", "999999999999999900000")]
    [InlineData("444b1ae4d6e2ef50", "1e+21")]
    [InlineData("3eb0c6f7a0b5ed8c", "9.999999999999997e-7")]
    [InlineData("3eb0c6f7a0b5ed8d", "0.000001")]
    [InlineData("41b3de4355555553", "333333333.3333332")]
    [InlineData("41b3de4355555554", "333333333.33333325")]
    [InlineData("41b3de4355555555", "333333333.3333333")]
    [InlineData("41b3de4355555556", "333333333.3333334")]
    [InlineData("41b3de4355555557", "333333333.33333343")]
    [InlineData("becbf647612f3696", "-0.0000033333333333333333")]
    [InlineData("43143ff3c1cb0959", "1424953923781206.2")]
    public void NumbersAreWrittenAsEcmaScriptWritesThem(string bits, string expected)
    {
        var value = BitConverter.Int64BitsToDouble(
            long.Parse(bits, NumberStyles.HexNumber, CultureInfo.InvariantCulture));

        Assert.Equal(expected, CanonicalJson.FormatNumber(value));
        Assert.Equal(expected, Encoding.UTF8.GetString(CanonicalJson.Canonicalize(Encoding.UTF8.GetBytes(expected))));
    }

    [Theory]
    [InlineData("""{"a": 1, "a": 2}""", "used twice")]
    [InlineData("""{"signature": 1, "signature": 2}""", "used twice")]
    [InlineData("""[1e999]""", "does not fit")]
    [InlineData("""["\udead"]""", "not Unicode")]
    [InlineData("""{"\ud800x": 0}""", "not Unicode")]
    [InlineData("""{"a": 1,}""", "not JSON")]
    public void WhatIJsonForbidsHasNoCanonicalForm(string json, string why)
    {
        var error = Assert.Throws<CanonicalJsonException>(
            () => CanonicalJson.Canonicalize(Encoding.UTF8.GetBytes(json)));

        Assert.Contains(why, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OnlyTheTopLevelMemberIsLeftOut()
    {
        using var document = JsonDocument.Parse("""{"z": {"signature": 1}, "signature": {"sig": "x"}, "a": [ ]}""");

        var text = Encoding.UTF8.GetString(CanonicalJson.Canonicalize(document.RootElement, leaveOut: "signature"));

        Assert.Equal("""{"a":[],"z":{"signature":1}}""", text);
    }

    [Fact]
    public void AgreesWithTheCoordinatorOnGeneratedDocuments()
    {
        var random = new Random(8785);
        for (var i = 0; i < 2000; i++)
        {
            var json = RandomJson(random, depth: 0);
            using var document = JsonDocument.Parse(json);

            var ours = CanonicalJson.Canonicalize(document.RootElement);
            var theirs = Jcs.Canonicalize(document.RootElement);

            Assert.True(theirs.AsSpan().SequenceEqual(ours),
                $"{json}\nours:   {Encoding.UTF8.GetString(ours)}\ntheirs: {Encoding.UTF8.GetString(theirs)}");
            Assert.Equal(ours, CanonicalJson.Canonicalize(ours));
        }
    }

    [Fact]
    public void AgreesWithTheCoordinatorOnRandomDoubles()
    {
        var random = new Random(754);
        var bits = new byte[8];
        for (var i = 0; i < 200_000; i++)
        {
            random.NextBytes(bits);
            var value = BitConverter.ToDouble(bits);
            if (!double.IsFinite(value))
            {
                continue;
            }

            var ours = CanonicalJson.FormatNumber(value);

            Assert.Equal(Jcs.FormatNumber(value), ours);
            Assert.Equal(value == 0 ? 0 : value, double.Parse(ours, CultureInfo.InvariantCulture));
        }
    }

    /// <summary>Objects, arrays and scalars with awkward names, escapes, surrogate pairs and numbers.</summary>
    private static string RandomJson(Random random, int depth)
    {
        var kind = depth >= 4 ? random.Next(3, 8) : random.Next(8);
        switch (kind)
        {
            case 0 or 1:
                var names = Enumerable.Range(0, random.Next(6)).Select(_ => RandomText(random)).Distinct().ToList();
                return "{" + string.Join(", ", names.Select(n =>
                    $"{JsonSerializer.Serialize(n)} : {RandomJson(random, depth + 1)}")) + "}";
            case 2:
                return "[ " + string.Join(" ,", Enumerable.Range(0, random.Next(5))
                    .Select(_ => RandomJson(random, depth + 1))) + "]";
            case 3:
                return JsonSerializer.Serialize(RandomText(random));
            case 4:
                return random.Next(3) switch
                {
                    0 => random.NextInt64(-1_000_000_000_000, 1_000_000_000_000).ToString(CultureInfo.InvariantCulture),
                    1 => (random.NextDouble() * Math.Pow(10, random.Next(-30, 30))).ToString("E10",
                        CultureInfo.InvariantCulture),
                    _ => "-0.000" + random.Next(1000).ToString(CultureInfo.InvariantCulture) + "00",
                };
            case 5:
                return random.Next(2) == 0 ? "true" : "false";
            case 6:
                return "null";
            default:
                return random.NextDouble().ToString("R", CultureInfo.InvariantCulture);
        }
    }

    private static string RandomText(Random random)
    {
        string[] pieces = ["a", "Z", "é", "€", "😀", "\u0001", "\u001f", "\"", "\\", "/", "\n", "\t", "\u2028", "דּ",
            "\u007f", "0", " "];
        return string.Concat(Enumerable.Range(0, random.Next(5)).Select(_ => pieces[random.Next(pieces.Length)]));
    }
}
