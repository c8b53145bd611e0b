using Aitbc.Coordinator.Common;
using Aitbc.Coordinator.Data;
using Microsoft.EntityFrameworkCore;

namespace Aitbc.Coordinator.Users;

internal static class UserDirectory
{
    /// <summary>
    /// The user of a canonical wallet address, registered when unknown. Runs in the writer, which makes the look-up
    /// and the insert one step in this process; the unique index refuses a second process's twin.
    /// </summary>
    public static async Task<(User User, bool Created)> FindOrCreateAsync(WriteScope scope, string walletAddress)
    {
        var existing = await scope.Db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.WalletAddress == walletAddress);
        if (existing is not null)
        {
            return (existing, false);
        }

        // TODO: with several processes (PostgreSQL), a twin insert fails the unit with a 500; retry the look-up on a
        // unique violation when multi-process deployment lands.
        var user = new User { Id = Ids.New(Ids.User), WalletAddress = walletAddress, CreatedAt = scope.Now };
        scope.Db.Users.Add(user);
        await scope.Db.SaveChangesAsync();
        return (user, true);
    }
}
