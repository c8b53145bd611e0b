using System.Text;
using NBitcoin;
using NBitcoin.Crypto;

namespace Aitbc.Coordinator.Users;

/// <summary>
/// Bitcoin addresses of <c>BITCOIN_NETWORK</c> and BIP-137 message signatures over them, as Bitcoin Core's
/// <c>signmessage</c>, Electrum and Sparrow make them.
/// </summary>
internal sealed class WalletSignatures(Network network)
{
    private const string MessageMagic = "Bitcoin Signed Message:\n";

    public static Network NetworkNamed(string name) => name switch
    {
        "mainnet" => Network.Main,
        "testnet" => Network.TestNet,
        "signet" => Bitcoin.Instance.Signet,
        "regtest" => Network.RegTest,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "Not a Bitcoin network."),
    };

    public Network Network { get; } = network;

    /// <summary>
    /// The canonical form of a P2PKH, P2SH or P2WPKH address of this network, or null. One wallet has one spelling,
    /// so a bech32 address typed in capitals is the same user.
    /// </summary>
    public string? Canonical(string? address)
    {
        if (string.IsNullOrWhiteSpace(address) || address.Length > 100)
        {
            return null;
        }

        try
        {
            var parsed = BitcoinAddress.Create(address.Trim(), Network);
            return parsed is BitcoinPubKeyAddress or BitcoinScriptAddress or BitcoinWitPubKeyAddress
                ? parsed.ToString()
                : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>A signature's 65 bytes, or null when it is not base64 of a BIP-137 signature at all.</summary>
    public static byte[]? Decode(string? signature)
    {
        if (string.IsNullOrWhiteSpace(signature) || signature.Length > 100)
        {
            return null;
        }

        var bytes = new byte[66];
        if (!Convert.TryFromBase64String(signature.Trim(), bytes, out var length) || length != 65
            || bytes[0] is < 27 or > 42)
        {
            return null;
        }

        return bytes[..65];
    }

    /// <summary>
    /// True when the key that signed <paramref name="message"/> owns <paramref name="canonicalAddress"/>. The header
    /// byte names the address type (BIP-137), but Electrum signs segwit addresses with the P2PKH header, so the key
    /// is recovered and compared against the address's own type whatever the header says.
    /// </summary>
    public bool Verify(string canonicalAddress, string message, byte[] signature)
    {
        var header = signature[0];
        var recoveryId = (header - 27) & 3;
        var compressed = header >= 31;
        PubKey key;
        try
        {
            key = PubKey.RecoverCompact(MessageHash(message), new CompactSignature(recoveryId, signature[1..]));
        }
        catch (ArgumentException)
        {
            return false;
        }

        var address = BitcoinAddress.Create(canonicalAddress, Network);
        return address switch
        {
            BitcoinPubKeyAddress => (compressed ? key.Compress() : key.Decompress())
                .GetAddress(ScriptPubKeyType.Legacy, Network).ToString() == canonicalAddress,
            BitcoinScriptAddress => compressed
                && key.Compress().GetAddress(ScriptPubKeyType.SegwitP2SH, Network).ToString() == canonicalAddress,
            BitcoinWitPubKeyAddress => compressed
                && key.Compress().GetAddress(ScriptPubKeyType.Segwit, Network).ToString() == canonicalAddress,
            _ => false,
        };
    }

    /// <summary>Double SHA-256 of the magic prefix and the message, each preceded by its length (BIP-137).</summary>
    public static uint256 MessageHash(string message)
    {
        var text = Encoding.UTF8.GetBytes(message);
        using var buffer = new MemoryStream();
        WriteVarBytes(buffer, Encoding.ASCII.GetBytes(MessageMagic));
        WriteVarBytes(buffer, text);
        return Hashes.DoubleSHA256(buffer.ToArray());
    }

    private static void WriteVarBytes(MemoryStream buffer, byte[] data)
    {
        var length = (ulong)data.Length;
        if (length < 0xfd)
        {
            buffer.WriteByte((byte)length);
        }
        else if (length <= 0xffff)
        {
            buffer.WriteByte(0xfd);
            buffer.Write(BitConverter.GetBytes((ushort)length));
        }
        else
        {
            buffer.WriteByte(0xfe);
            buffer.Write(BitConverter.GetBytes((uint)length));
        }

        buffer.Write(data);
    }
}
