using System.CommandLine;
using System.Text.Json;
using Aitbc.Client;

namespace Aitbc.Cli.Wallet;

/// <summary>What a command that acts as the logged-in user gets: its session, a client holding it, the store.</summary>
internal sealed record SessionContext(Uri Url, StoredSession Session, AitbcClient Api, SessionStore Store);

internal static class SessionActions
{
    /// <summary>
    /// Runs <paramref name="body"/> with the stored session of the Coordinator named by <c>--url</c>. No session,
    /// an expired one, or one the Coordinator no longer accepts (the file is then removed) is one line and exit 4.
    /// The API key is not sent: the Coordinator would judge it instead of the session.
    /// </summary>
    public static void SetSessionAction(
        this Command command,
        GlobalOptions globals,
        Func<ParseResult, Output, SessionContext, CancellationToken, Task<int>> body) =>
        command.SetGuardedAction(globals, (parsed, output, cancel) =>
            RunAsync(globals, parsed, output, keyFallback: false,
                (context, token) => body(parsed, output, context!, token), cancel));

    /// <summary>
    /// Like <see cref="SetSessionAction"/>, but without a session the API key is used (an admin's key reads what
    /// any user may); <paramref name="body"/> then gets no <see cref="SessionContext"/>, only the client.
    /// </summary>
    public static void SetSessionOrKeyAction(
        this Command command,
        GlobalOptions globals,
        Func<ParseResult, Output, AitbcClient, CancellationToken, Task<int>> body) =>
        command.SetGuardedAction(globals, (parsed, output, cancel) =>
            RunAsync(globals, parsed, output, keyFallback: true,
                (context, token) => context is not null
                    ? body(parsed, output, context.Api, token)
                    : UseKeyAsync(globals, parsed, output, body, token),
                cancel));

    private static async Task<int> UseKeyAsync(
        GlobalOptions globals,
        ParseResult parsed,
        Output output,
        Func<ParseResult, Output, AitbcClient, CancellationToken, Task<int>> body,
        CancellationToken cancel)
    {
        using var api = globals.CreateClient(parsed);
        return await body(parsed, output, api, cancel);
    }

    private static async Task<int> RunAsync(
        GlobalOptions globals,
        ParseResult parsed,
        Output output,
        bool keyFallback,
        Func<SessionContext?, CancellationToken, Task<int>> body,
        CancellationToken cancel)
    {
        var url = globals.ResolveUrl(parsed);
        var store = SessionStore.ForUser();
        StoredSession session;
        try
        {
            session = store.Load(url, DateTimeOffset.UtcNow);
        }
        catch (SessionException e)
        {
            if (keyFallback && HasKey(globals, parsed))
            {
                return await body(null, cancel);
            }

            output.Error(e.Code, e.Message);
            return ExitCodes.ClientError;
        }

        try
        {
            using var api = new AitbcClient(url, apiKey: null) { SessionToken = session.SessionToken };
            return await body(new SessionContext(url, session, api, store), cancel);
        }
        catch (AitbcAuthException e) when (e.Status == 401)
        {
            store.Delete(url);
            output.Error("session_expired", $"The Coordinator no longer accepts your session ({e.Code}): it "
                + "expired or was logged out. Run aitbc wallet login again.", e.Status);
            return ExitCodes.ClientError;
        }
    }

    private static bool HasKey(GlobalOptions globals, ParseResult parsed) =>
        !string.IsNullOrWhiteSpace(
            parsed.GetValue(globals.ApiKey) ?? Environment.GetEnvironmentVariable("AITBC_API_KEY"));

    /// <summary>A warning on stderr: a line for people, or a <c>{"warning": …}</c> object with --json.</summary>
    public static void Warning(this Output output, string code, string message)
    {
        Console.Error.WriteLine(output.Json
            ? JsonSerializer.Serialize(new { Warning = new { Code = code, Detail = message } }, Wire.Options)
            : $"aitbc: warning: {message}");
    }
}
