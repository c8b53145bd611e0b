using Aitbc.Coordinator.Configuration;
using Aitbc.Coordinator.Exchange;
using CsCheck;
using Microsoft.Extensions.Configuration;
using NBitcoin;
using NBitcoin.DataEncoders;

namespace Aitbc.Coordinator.Tests.Exchange;

public sealed class AddressDerivationTests
{
    private const string Mnemonic =
        "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

    // Published in BIP84 ("Test vectors"): the account zpub of the mnemonic above and its first receive addresses.
    private const string MainnetZpub =
        "zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCTo"
        + "UG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs";

    [Fact]
    public void MainnetZpubDerivesTheBip84TestVectors()
    {
        var account = ExchangeSettings.ParseAccountKey(MainnetZpub, Network.Main);

        Assert.Equal("bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu", ExchangeSettings.ReceiveAddress(account, 0));
        Assert.Equal("bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g", ExchangeSettings.ReceiveAddress(account, 1));
        Assert.Equal(PrivateAccount(Network.Main, coinType: 0).Neuter().ToString(Network.Main), account.ToString());
    }

    /// <summary>
    /// The testnet vector is checked two ways: the vpub is what NBitcoin makes from the mnemonic's private key at
    /// m/84'/1'/0' (re-marked with the SLIP-132 vpub version bytes), and every address our public derivation gives
    /// equals the P2WPKH address of the private key NBitcoin derives at m/84'/1'/0'/0/i.
    /// </summary>
    [Fact]
    public void TestnetVpubDerivesWhatThePrivateKeyDerives()
    {
        var privateAccount = PrivateAccount(Network.TestNet, coinType: 1);
        var tpub = Encoders.Base58Check.DecodeData(privateAccount.Neuter().ToString(Network.TestNet));
        byte[] vpub = [0x04, 0x5f, 0x1c, 0xf6, .. tpub[4..]];
        Assert.Equal(ExchangeCalls.TestnetVpub, Encoders.Base58Check.EncodeData(vpub));

        var account = ExchangeSettings.ParseAccountKey(ExchangeCalls.TestnetVpub, Network.TestNet);

        Assert.Equal("tb1q6rz28mcfaxtmd6v789l9rrlrusdprr9pqcpvkl", ExchangeSettings.ReceiveAddress(account, 0));
        for (uint i = 0; i < 20; i++)
        {
            var key = privateAccount.Derive(0).Derive(i).PrivateKey;
            Assert.Equal(key.PubKey.GetAddress(ScriptPubKeyType.Segwit, Network.TestNet).ToString(),
                ExchangeSettings.ReceiveAddress(account, i));
        }
    }

    [Fact]
    public void AnXpubOrTpubGivesTheSameAddressesAsItsZpubOrVpub()
    {
        var tpub = PrivateAccount(Network.TestNet, coinType: 1).Neuter().ToString(Network.TestNet);

        var fromTpub = ExchangeSettings.ParseAccountKey(tpub, Network.TestNet);
        var fromVpub = ExchangeSettings.ParseAccountKey(ExchangeCalls.TestnetVpub, Network.TestNet);

        Assert.Equal(ExchangeSettings.ReceiveAddress(fromVpub, 7), ExchangeSettings.ReceiveAddress(fromTpub, 7));
    }

    [Theory]
    [InlineData("BITCOIN_XPUB", MainnetZpub, "BITCOIN_XPUB")]
    [InlineData("BITCOIN_XPUB", "vpub-not-a-key", "BITCOIN_XPUB")]
    [InlineData("BITCOIN_ADDRESS", "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu", "BITCOIN_ADDRESS")]
    [InlineData("BTC_TO_AITBC_RATE", "0.5", "BTC_TO_AITBC_RATE")]
    [InlineData("BTC_TO_AITBC_RATE", "1.123456789", "BTC_TO_AITBC_RATE")]
    [InlineData("BITCOIN_ESPLORA_URL", "ftp://example.org", "BITCOIN_ESPLORA_URL")]
    [InlineData("BITCOIN_MIN_CONFIRMATIONS", "0", "BITCOIN_MIN_CONFIRMATIONS")]
    [InlineData("EXCHANGE_MIN_AITBC", "100001", "EXCHANGE_MIN_AITBC")]
    public void BadExchangeSettingsStopTheStartNamingTheVariable(string name, string value, string named)
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["BITCOIN_NETWORK"] = "testnet",
            ["EXCHANGE_MAX_AITBC"] = "100000",
            [name] = value,
        }).Build();

        var error = Assert.Throws<SettingsException>(() => CoordinatorSettings.Load(config));

        Assert.StartsWith(named, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DecimalRatesAreExact()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["BTC_TO_AITBC_RATE"] = "65432.1",
            ["BITCOIN_XPUB"] = ExchangeCalls.TestnetVpub,
        }).Build();

        var exchange = CoordinatorSettings.Load(config).Exchange;

        Assert.Equal(6_543_210_000_000, exchange.RateUnits);
        Assert.True(exchange.Configured);
    }

    [Fact]
    public void ConversionsNeverFavourTheServiceByASatoshi()
    {
        Gen.Select(Gen.Long[1, 21_000_000_000L * 100_000_000], Gen.Long[100_000_000, 10_000_000_000_000_000])
            .Sample((aitbc, rate) =>
            {
                var sats = PaymentMath.SatsFor(aitbc, rate);
                var credited = PaymentMath.AitbcFor(sats, rate);

                // Paying the rounded-up price buys at least what was asked; one satoshi less would not.
                Assert.True(credited >= aitbc);
                Assert.True(PaymentMath.AitbcFor(sats - 1, rate) < aitbc);

                // What rounding the AITBC down keeps back is less than one 10^-8 AITBC, worth under a satoshi.
                Assert.True((Int128)credited * PaymentMath.SatsPerBtc <= (Int128)sats * rate);
                Assert.True(((Int128)credited + 1) * PaymentMath.SatsPerBtc > (Int128)sats * rate);
            });
    }

    private static ExtKey PrivateAccount(Network network, int coinType) =>
        new Mnemonic(Mnemonic, Wordlist.English).DeriveExtKey()
            .Derive(new KeyPath($"84'/{coinType}'/0'"));
}
