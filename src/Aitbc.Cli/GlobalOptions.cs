using System.CommandLine;
using Aitbc.Client;

namespace Aitbc.Cli;

/// <summary>The options every command takes, and the client they configure.</summary>
internal sealed class GlobalOptions
{
    public const string DefaultUrl = "http://localhost:8000";

    public Option<string?> Url { get; } = new("--url")
    {
        Description = $"The Coordinator's address; default $AITBC_URL, else {DefaultUrl}.",
        Recursive = true,
    };

    public Option<string?> ApiKey { get; } = new("--api-key")
    {
        Description = "The API key; default $AITBC_API_KEY. Prefer the variable: arguments show in process lists.",
        Recursive = true,
    };

    public Option<bool> Json { get; } = new("--json")
    {
        Description = "Print JSON for machines instead of text for people.",
        Recursive = true,
    };

    public void AddTo(Command root)
    {
        root.Options.Add(Url);
        root.Options.Add(ApiKey);
        root.Options.Add(Json);
    }

    public Uri ResolveUrl(ParseResult parsed)
    {
        var text = parsed.GetValue(Url) ?? Environment.GetEnvironmentVariable("AITBC_URL") ?? DefaultUrl;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            throw new UsageException("--url (or AITBC_URL) must be an http or https address.");
        }

        return url;
    }

    public string ResolveKey(ParseResult parsed)
    {
        var key = parsed.GetValue(ApiKey) ?? Environment.GetEnvironmentVariable("AITBC_API_KEY");
        return string.IsNullOrWhiteSpace(key)
            ? throw new UsageException("No API key: give --api-key or set AITBC_API_KEY.")
            : key.Trim();
    }

    public AitbcClient CreateClient(ParseResult parsed) => new(ResolveUrl(parsed), ResolveKey(parsed));

    public Output Output(ParseResult parsed) => new(parsed.GetValue(Json));
}

/// <summary>The command line was wrong in a way the parser cannot see: exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
