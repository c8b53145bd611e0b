using System.Text.Json;
using Aitbc.Client;

namespace Aitbc.Cli;

/// <summary>
/// Where a command's answer goes: JSON on stdout with <c>--json</c>, text for people otherwise. Errors are one
/// line on stderr (a JSON object with <c>--json</c>).
/// </summary>
internal sealed class Output(bool json)
{
    public bool Json { get; } = json;

    public void Data<T>(T value, Action human)
    {
        if (Json)
        {
            Console.Out.WriteLine(JsonSerializer.Serialize(value, Wire.Options));
        }
        else
        {
            human();
        }
    }

    public void Line(string text)
    {
        if (!Json)
        {
            Console.Out.WriteLine(text);
        }
    }

    /// <summary>A progress note for people, on stderr so that stdout stays the answer.</summary>
    public void Note(string text)
    {
        if (!Json)
        {
            Console.Error.WriteLine(text);
        }
    }

    public void Error(string code, string message, int? status = null)
    {
        var line = message.ReplaceLineEndings(" ");
        if (Json)
        {
            Console.Error.WriteLine(JsonSerializer.Serialize(
                new { Error = new { Code = code, Status = status, Detail = line } }, Wire.Options));
        }
        else
        {
            Console.Error.WriteLine($"aitbc: {line}");
        }
    }

    public static string Pretty(JsonElement element) =>
        JsonSerializer.Serialize(element, new JsonSerializerOptions { WriteIndented = true });
}
