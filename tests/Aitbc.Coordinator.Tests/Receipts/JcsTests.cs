using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Aitbc.Coordinator.Receipts;

namespace Aitbc.Coordinator.Tests.Receipts;

/// <summary>RFC 8785's published examples, byte for byte.</summary>
public sealed class JcsTests
{
    [Fact]
    public void MainExampleGivesTheRfcBytes()
    {
        // RFC 8785 §3.2.2 input, and the UTF-8 bytes of its canonical form from §3.2.4.
        const string input = """
            {
              "numbers": [333333333.33333329, 1E30, 4.50,
                          2e-3, 0.000000000000000000000000001],
              "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
              "literals": [null, true, false]
            }
            """;
        const string rfcBytes = """
            7b 22 6c 69 74 65 72 61 6c 73 22 3a 5b 6e 75 6c 6c 2c 74 72
            75 65 2c 66 61 6c 73 65 5d 2c 22 6e 75 6d 62 65 72 73 22 3a
            5b 33 33 33 33 33 33 33 33 33 2e 33 33 33 33 33 33 33 2c 31
            65 2b 33 30 2c 34 2e 35 2c 30 2e 30 30 32 2c 31 65 2d 32 37
            5d 2c 22 73 74 72 69 6e 67 22 3a 22 e2 82 ac 24 5c 75 30 30
            30 66 5c 6e 41 27 42 5c 22 5c 5c 5c 5c 5c 22 2f 22 7d
            """;

        var canonical = Jcs.Canonicalize(input);

        Assert.Equal(
            """{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"""
            + """
              "string":"€$\u000f\nA'B\"\\\\\"/"}
              """,
            Encoding.UTF8.GetString(canonical));
        Assert.Equal(Convert.FromHexString(string.Concat(rfcBytes.Where(char.IsAsciiHexDigit))), canonical);
    }

    [Fact]
    public void MembersAreSortedByUtf16CodeUnits()
    {
        // RFC 8785 §3.2.3: the emoji (surrogates 0xD83D…) sorts before U+FB33 although its code point is higher.
        const string input = """
            {
              "\u20ac": "Euro Sign",
              "\r": "Carriage Return",
              "\ufb33": "Hebrew Letter Dalet With Dagesh",
              "1": "One",
              "\ud83d\ude00": "Emoji: Grinning Face",
              "\u0080": "Control",
              "\u00f6": "Latin Small Letter O With Diaeresis"
            }
            """;

        var canonical = Encoding.UTF8.GetString(Jcs.Canonicalize(input));

        Assert.Equal(
            "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u0080\":\"Control\","
            + "\"\u00f6\":\"Latin Small Letter O With Diaeresis\",\"\u20ac\":\"Euro Sign\","
            + "\"\U0001F600\":\"Emoji: Grinning Face\",\"\ufb33\":\"Hebrew Letter Dalet With Dagesh\"}",
            canonical);
    }

    [Theory]
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
    public void NumbersTakeTheEcmaScriptForm(string ieee754, string expected)
    {
        var value = BitConverter.Int64BitsToDouble(BinaryPrimitives.ReadInt64BigEndian(Convert.FromHexString(ieee754)));

        Assert.Equal(expected, Jcs.FormatNumber(value));
        Assert.Equal(expected, Encoding.UTF8.GetString(Jcs.Canonicalize(expected)));
    }

    [Fact]
    public void NestedObjectsAreSortedAtEveryLevelAndWhitespaceGoes()
    {
        const string input = """
            { "z": [ { "b": 1.0, "a": "\u0001\t" }, [ ] ], "a": { "y": { }, "x": -0.0, "\u00e9": "/" } }
            """;

        Assert.Equal(
            "{\"a\":{\"x\":0,\"y\":{},\"\u00e9\":\"/\"},\"z\":[{\"a\":\"\\u0001\\t\",\"b\":1},[]]}",
            Encoding.UTF8.GetString(Jcs.Canonicalize(input)));
    }

    [Theory]
    [InlineData("""{"a": 1, "a": 2}""", "appears twice")]
    [InlineData("""{"a": 1e400}""", "beyond the range")]
    [InlineData("""["\ud800"]""", "not valid Unicode")]
    [InlineData("""{"\udc00": 1}""", "not valid Unicode")]
    public void WhatIJsonForbidsIsRefused(string input, string reason)
    {
        var error = Assert.Throws<CanonicalJsonException>(() => Jcs.Canonicalize(input));

        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AComposedObjectIsWhatCanonicalizingTheSameDocumentGives()
    {
        // Names that sort differently by UTF-16 than by UTF-8, strings needing every kind of escape, and raw JSON
        // that is not canonical yet.
        const string odd = """\u20ac$\u000F\n\"\\/\u007f\ud83d\ude00""";
        var composed = new JcsObject()
            .String("\ud83d\ude00", "surrogate pair name")
            .String("\ufb33", "after the pair in UTF-8, before it in UTF-16")
            .String("text", JsonSerializer.Deserialize<string>($"\"{odd}\""))
            .String("none", null)
            .Number("big", (1L << 53) - 1)
            .Number("negative", -42)
            .Json("raw", """{ "z": [1E3, 4.50, {"b": null, "a": true}], "a": "\u0041" }""")
            .Json("missing", null)
            .Object("nested", new JcsObject().String("b", "2").Number("a", 1));
        var document = $$$"""
            {"\ud83d\ude00": "surrogate pair name", "\ufb33": "after the pair in UTF-8, before it in UTF-16",
             "text": "{{{odd}}}", "none": null, "big": {{{(1L << 53) - 1}}}, "negative": -42,
             "raw": { "z": [1E3, 4.50, {"b": null, "a": true}], "a": "\u0041" }, "missing": null,
             "nested": {"b": "2", "a": 1}}
            """;

        Assert.Equal(Encoding.UTF8.GetString(Jcs.Canonicalize(document)), Encoding.UTF8.GetString(composed.ToUtf8()));
        Assert.Equal(Jcs.Canonicalize(document), composed.ToUtf8());
    }

    [Fact]
    public void AComposedObjectRefusesWhatHasNoCanonicalForm()
    {
        Assert.Throws<CanonicalJsonException>(() => new JcsObject().Number("n", 1L << 53));
        Assert.Throws<CanonicalJsonException>(() => new JcsObject().String("a", "1").String("a", "2").ToUtf8());
        Assert.Throws<CanonicalJsonException>(() => new JcsObject().String("lone", "\ud800").ToUtf8());
        Assert.Throws<CanonicalJsonException>(() => new JcsObject().Json("raw", "{not json"));
    }

    [Fact]
    public void OmittingTheSignatureLeavesTheRestCanonical()
    {
        using var document = JsonDocument.Parse("""{"b": 2, "signature": {"sig": "x"}, "a": 1}""");

        Assert.Equal("""{"a":1,"b":2}""", Encoding.UTF8.GetString(Jcs.Canonicalize(document.RootElement, "signature")));
    }

    [Fact]
    public void KeyIdIsTheRfc7638ThumbprintOfTheRfc8037Example()
    {
        // RFC 8037 Appendix A.3.
        Assert.Equal("kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k",
            ReceiptKeyring.Thumbprint("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"));
    }
}
