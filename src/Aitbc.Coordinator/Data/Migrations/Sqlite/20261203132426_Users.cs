using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

#pragma warning disable CA1814 // Prefer jagged arrays over multidimensional

namespace Aitbc.Coordinator.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Users : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "ledger_accounts",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    kind = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    user_id = table.Column<string>(type: "TEXT", maxLength: 40, nullable: true),
                    balance = table.Column<long>(type: "INTEGER", nullable: false),
                    held = table.Column<long>(type: "INTEGER", nullable: false),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ledger_accounts", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "ledger_transactions",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    kind = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    business_key = table.Column<string>(type: "TEXT", maxLength: 160, nullable: false),
                    job_id = table.Column<string>(type: "TEXT", maxLength: 40, nullable: true),
                    reason = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    created_by = table.Column<string>(type: "TEXT", maxLength: 40, nullable: true),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ledger_transactions", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "login_challenges",
                columns: table => new
                {
                    nonce = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    wallet_address = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    message = table.Column<string>(type: "TEXT", maxLength: 1024, nullable: false),
                    issued_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    expires_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    consumed_at = table.Column<DateTime>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_login_challenges", x => x.nonce);
                });

            migrationBuilder.CreateTable(
                name: "user_sessions",
                columns: table => new
                {
                    id = table.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                    user_id = table.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                    token_hash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    expires_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    revoked_at = table.Column<DateTime>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_user_sessions", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "users",
                columns: table => new
                {
                    id = table.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                    wallet_address = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_users", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "ledger_holds",
                columns: table => new
                {
                    job_id = table.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                    account_id = table.Column<long>(type: "INTEGER", nullable: false),
                    amount = table.Column<long>(type: "INTEGER", nullable: false),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    settled_at = table.Column<DateTime>(type: "TEXT", nullable: true),
                    paid = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ledger_holds", x => x.job_id);
                    table.ForeignKey(
                        name: "FK_ledger_holds_ledger_accounts_account_id",
                        column: x => x.account_id,
                        principalTable: "ledger_accounts",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "ledger_postings",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    transaction_id = table.Column<long>(type: "INTEGER", nullable: false),
                    account_id = table.Column<long>(type: "INTEGER", nullable: false),
                    amount = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ledger_postings", x => x.id);
                    table.ForeignKey(
                        name: "FK_ledger_postings_ledger_accounts_account_id",
                        column: x => x.account_id,
                        principalTable: "ledger_accounts",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_ledger_postings_ledger_transactions_transaction_id",
                        column: x => x.transaction_id,
                        principalTable: "ledger_transactions",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.InsertData(
                table: "ledger_accounts",
                columns: new[] { "id", "balance", "created_at", "held", "kind", "user_id" },
                values: new object[,]
                {
                    { 1L, 0L, new DateTime(2026, 1, 1, 0, 0, 0, 0, DateTimeKind.Utc), 0L, "grants", null },
                    { 2L, 0L, new DateTime(2026, 1, 1, 0, 0, 0, 0, DateTimeKind.Utc), 0L, "exchange", null }
                });

            migrationBuilder.CreateIndex(
                name: "IX_ledger_accounts_user_id",
                table: "ledger_accounts",
                column: "user_id",
                unique: true,
                filter: "user_id IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_ledger_holds_open",
                table: "ledger_holds",
                column: "account_id",
                filter: "settled_at IS NULL");

            migrationBuilder.CreateIndex(
                name: "IX_ledger_postings_account_id_id",
                table: "ledger_postings",
                columns: new[] { "account_id", "id" });

            migrationBuilder.CreateIndex(
                name: "IX_ledger_postings_transaction_id",
                table: "ledger_postings",
                column: "transaction_id");

            migrationBuilder.CreateIndex(
                name: "IX_ledger_transactions_business_key",
                table: "ledger_transactions",
                column: "business_key",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_login_challenges_expires_at",
                table: "login_challenges",
                column: "expires_at");

            migrationBuilder.CreateIndex(
                name: "IX_user_sessions_token_hash",
                table: "user_sessions",
                column: "token_hash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_user_sessions_user_id",
                table: "user_sessions",
                column: "user_id");

            migrationBuilder.CreateIndex(
                name: "IX_users_wallet_address",
                table: "users",
                column: "wallet_address",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "ledger_holds");

            migrationBuilder.DropTable(
                name: "ledger_postings");

            migrationBuilder.DropTable(
                name: "login_challenges");

            migrationBuilder.DropTable(
                name: "user_sessions");

            migrationBuilder.DropTable(
                name: "users");

            migrationBuilder.DropTable(
                name: "ledger_accounts");

            migrationBuilder.DropTable(
                name: "ledger_transactions");
        }
    }
}
