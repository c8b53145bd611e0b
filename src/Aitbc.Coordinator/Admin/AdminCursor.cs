using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace Aitbc.Coordinator.Admin;

/// <summary>
/// Page cursors for tables ordered by a time and then an id (miners, API keys): both are needed to resume exactly
/// where a page ended, since many rows can share a time.
/// </summary>
internal static class AdminCursor
{
    public static string Encode(DateTime at, string id) =>
        Base64Url.EncodeToString(Encoding.ASCII.GetBytes($"{at.Ticks.ToString(CultureInfo.InvariantCulture)}:{id}"));

    public static (DateTime At, string Id)? Decode(string cursor)
    {
        if (cursor.Length is 0 or > 128 || !Base64Url.IsValid(cursor))
        {
            return null;
        }

        var text = Encoding.ASCII.GetString(Base64Url.DecodeFromChars(cursor));
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0
            || !long.TryParse(text.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
            || ticks > DateTime.MaxValue.Ticks
            || text.Length - colon - 1 is 0 or > 40
            || !text[(colon + 1)..].All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
        {
            return null;
        }

        return (new DateTime(ticks, DateTimeKind.Utc), text[(colon + 1)..]);
    }
}
