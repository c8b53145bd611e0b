using System.Buffers.Binary;
using System.Text;
using System.Text.RegularExpressions;
using NBitcoin;
using NBitcoin.Crypto;

namespace Aitbc.Cli.Wallet;

internal enum AddressType
{
    P2pkh,
    P2shP2wpkh,
    P2wpkh,
}

/// <summary>
/// A private key given as WIF, the address it logs in with, and BIP-137 signatures of login challenges as the
/// Coordinator checks them (Bitcoin Core's <c>signmessage</c> for P2PKH, the segwit header bytes of BIP-137 for
/// the others). No message of this type ever contains the key, so no error can show it.
/// </summary>
internal sealed partial class WalletKey
{
    private const string MessageMagic = "Bitcoin Signed Message:\n";

    private readonly Key _key;

    private WalletKey(Key key, Network network, AddressType type)
    {
        _key = key;
        Network = network;
        Type = type;
        Address = key.PubKey.GetAddress(type switch
        {
            AddressType.P2shP2wpkh => ScriptPubKeyType.SegwitP2SH,
            AddressType.P2wpkh => ScriptPubKeyType.Segwit,
            _ => ScriptPubKeyType.Legacy,
        }, network).ToString();
    }

    public Network Network { get; }

    public AddressType Type { get; }

    public string Address { get; }

    public string NetworkName => Network == Network.Main ? "mainnet"
        : Network == Network.RegTest ? "regtest"
        : Network == Bitcoin.Instance.Signet ? "signet"
        : "testnet";

    /// <summary>
    /// Reads a WIF key. Its version byte tells mainnet from the test networks; testnet, signet and regtest share it,
    /// so <paramref name="networkName"/> picks among those (testnet by default; signet's addresses are testnet's).
    /// </summary>
    public static WalletKey Parse(string wif, AddressType type, string? networkName)
    {
        var text = wif.Trim();
        var (key, mainnet) = Decode(text)
            ?? throw new UsageException("The key is not a valid WIF private key (a typo or a truncated copy?).");
        var network = networkName switch
        {
            null => mainnet ? Network.Main : Network.TestNet,
            "mainnet" => Network.Main,
            "testnet" => Network.TestNet,
            "signet" => Bitcoin.Instance.Signet,
            _ => Network.RegTest,
        };
        if ((network == Network.Main) != mainnet)
        {
            throw new UsageException(
                $"--network {networkName} does not match the key, which is a {(mainnet ? "mainnet" : "test network")} "
                + "key.");
        }

        if (type != AddressType.P2pkh && !key.IsCompressed)
        {
            throw new UsageException(
                "Segwit addresses need a compressed key and this WIF is uncompressed; use --address-type p2pkh.");
        }

        return new WalletKey(key, network, type);
    }

    /// <summary>
    /// The base64 BIP-137 signature of <paramref name="message"/>: a header byte naming the address type and the
    /// recovery id, then r and s.
    /// </summary>
    public string SignMessage(string message)
    {
        // NBitcoin signs compactly with compressed keys only; the signature is the same either way, and the header
        // byte (27 for an uncompressed key's P2PKH) tells the verifier which public key form to rebuild.
        var signer = _key.IsCompressed ? _key : new Key(_key.ToBytes(), fCompressedIn: true);
        var signature = signer.SignCompact(MessageHash(message));
        var headerBase = Type switch
        {
            AddressType.P2shP2wpkh => 35,
            AddressType.P2wpkh => 39,
            _ => _key.IsCompressed ? 31 : 27,
        };
        return Convert.ToBase64String([(byte)(headerBase + signature.RecoveryId), .. signature.Signature]);
    }

    public static AddressType ParseType(string name) => name switch
    {
        "p2pkh" => AddressType.P2pkh,
        "p2sh-p2wpkh" => AddressType.P2shP2wpkh,
        _ => AddressType.P2wpkh,
    };

    public static string TypeName(AddressType type) => type switch
    {
        AddressType.P2pkh => "p2pkh",
        AddressType.P2shP2wpkh => "p2sh-p2wpkh",
        _ => "p2wpkh",
    };

    /// <summary>
    /// <paramref name="text"/> with every run of 50 or more base58 characters hidden: a parser's message about a
    /// misplaced argument would otherwise repeat a private key typed in the wrong place.
    /// </summary>
    public static string HideKeys(string text) => Base58Run().Replace(text, "[hidden]");

    [GeneratedRegex("[1-9A-HJ-NP-Za-km-z]{50,}")]
    private static partial Regex Base58Run();

    /// <summary>The key and whether it is a mainnet one, or null. NBitcoin's errors are dropped unread.</summary>
    private static (Key Key, bool Mainnet)? Decode(string wif)
    {
        if (wif.Length is < 50 or > 60)
        {
            return null;
        }

        foreach (var network in new[] { Network.Main, Network.TestNet })
        {
            try
            {
                return (new BitcoinSecret(wif, network).PrivateKey, network == Network.Main);
            }
            catch (Exception e) when (e is FormatException or ArgumentException)
            {
                // Not this network's WIF (or not a WIF at all): try the next, then report it in our own words.
            }
        }

        return null;
    }

    /// <summary>Double SHA-256 of the magic and the message, each preceded by its length as a varint.</summary>
    private static uint256 MessageHash(string message)
    {
        using var buffer = new MemoryStream();
        WriteVarBytes(buffer, Encoding.ASCII.GetBytes(MessageMagic));
        WriteVarBytes(buffer, Encoding.UTF8.GetBytes(message));
        return Hashes.DoubleSHA256(buffer.ToArray());
    }

    private static void WriteVarBytes(MemoryStream buffer, byte[] data)
    {
        Span<byte> length = stackalloc byte[5];
        var size = 1;
        if (data.Length < 0xfd)
        {
            length[0] = (byte)data.Length;
        }
        else if (data.Length <= 0xffff)
        {
            length[0] = 0xfd;
            BinaryPrimitives.WriteUInt16LittleEndian(length[1..], (ushort)data.Length);
            size = 3;
        }
        else
        {
            length[0] = 0xfe;
            BinaryPrimitives.WriteUInt32LittleEndian(length[1..], (uint)data.Length);
            size = 5;
        }

        buffer.Write(length[..size]);
        buffer.Write(data);
    }
}
