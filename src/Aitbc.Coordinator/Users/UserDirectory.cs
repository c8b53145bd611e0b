using Aitbc.Coordinator.Common;
using Aitbc.Coordinator.Data;
using Microsoft.EntityFrameworkCore;

namespace Aitbc.Coordinator.Users;

internal static class UserDirectory
{
    /// <summary>
    /// The user of a canonical wallet address, registered when unknown. Runs in the writer, which makes the look-up
    /// and the insert one step: in this process because the writer is one loop, across processes on PostgreSQL
    /// because every writer batch first locks the receipt chain head, so a twin's batch starts only after this one
    /// has committed and then finds the user. The unique index stays as the last guard.
    /// </summary>
    public static async Task<(User User, bool Created)> FindOrCreateAsync(WriteScope scope, string walletAddress)
    {
        var existing = await scope.Db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.WalletAddress == walletAddress);
        if (existing is not null)
        {
            return (existing, false);
        }

        var user = new User { Id = Ids.New(Ids.User), WalletAddress = walletAddress, CreatedAt = scope.Now };
        scope.Db.Users.Add(user);
        await scope.Db.SaveChangesAsync();
        return (user, true);
    }
}
