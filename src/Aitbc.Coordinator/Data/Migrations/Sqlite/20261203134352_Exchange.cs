using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Aitbc.Coordinator.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Exchange : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "exchange_address_counters",
                columns: table => new
                {
                    account_key = table.Column<string>(type: "TEXT", maxLength: 120, nullable: false),
                    next_index = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_exchange_address_counters", x => x.account_key);
                });

            migrationBuilder.CreateTable(
                name: "exchange_payments",
                columns: table => new
                {
                    id = table.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                    user_id = table.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                    status = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    address = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    address_index = table.Column<int>(type: "INTEGER", nullable: true),
                    amount_sats = table.Column<long>(type: "INTEGER", nullable: false),
                    aitbc_units = table.Column<long>(type: "INTEGER", nullable: false),
                    rate_units = table.Column<long>(type: "INTEGER", nullable: false),
                    txid = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    received_sats = table.Column<long>(type: "INTEGER", nullable: false),
                    confirmations = table.Column<int>(type: "INTEGER", nullable: false),
                    needs_review = table.Column<bool>(type: "INTEGER", nullable: false),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    expires_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    seen_at = table.Column<DateTime>(type: "TEXT", nullable: true),
                    credited_at = table.Column<DateTime>(type: "TEXT", nullable: true),
                    credited_by = table.Column<string>(type: "TEXT", maxLength: 40, nullable: true),
                    note = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_exchange_payments", x => x.id);
                });

            migrationBuilder.CreateIndex(
                name: "ix_exchange_payments_address_amount",
                table: "exchange_payments",
                columns: new[] { "address", "amount_sats" });

            migrationBuilder.CreateIndex(
                name: "ix_exchange_payments_derived_address",
                table: "exchange_payments",
                column: "address",
                unique: true,
                filter: "address_index IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_exchange_payments_status",
                table: "exchange_payments",
                columns: new[] { "status", "expires_at" });

            migrationBuilder.CreateIndex(
                name: "ix_exchange_payments_user",
                table: "exchange_payments",
                columns: new[] { "user_id", "created_at" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "exchange_address_counters");

            migrationBuilder.DropTable(
                name: "exchange_payments");
        }
    }
}
