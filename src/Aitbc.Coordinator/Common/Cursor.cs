using System.Buffers.Binary;
using System.Buffers.Text;

namespace Aitbc.Coordinator.Common;

/// <summary>Opaque page cursors: a position in a table, base64url-encoded so clients do not build their own.</summary>
internal static class Cursor
{
    public static string Encode(long position)
    {
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(bytes, position);
        return Base64Url.EncodeToString(bytes);
    }

    public static long? Decode(string cursor)
    {
        Span<byte> bytes = stackalloc byte[8];
        if (cursor.Length != 11 || !Base64Url.TryDecodeFromChars(cursor, bytes, out var written) || written != 8)
        {
            return null;
        }

        var position = BinaryPrimitives.ReadInt64BigEndian(bytes);
        return position > 0 ? position : null;
    }
}
