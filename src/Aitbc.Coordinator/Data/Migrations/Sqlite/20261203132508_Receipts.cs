using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Aitbc.Coordinator.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Receipts : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "receipt_chain_head",
                columns: table => new
                {
                    id = table.Column<int>(type: "INTEGER", nullable: false),
                    seq = table.Column<long>(type: "INTEGER", nullable: false),
                    sha256 = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_receipt_chain_head", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "receipt_keys",
                columns: table => new
                {
                    kid = table.Column<string>(type: "TEXT", maxLength: 43, nullable: false),
                    x = table.Column<string>(type: "TEXT", maxLength: 43, nullable: false),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    retired_at = table.Column<DateTime>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_receipt_keys", x => x.kid);
                });

            migrationBuilder.CreateTable(
                name: "receipt_signing_seed",
                columns: table => new
                {
                    id = table.Column<int>(type: "INTEGER", nullable: false),
                    seed = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_receipt_signing_seed", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "receipts",
                columns: table => new
                {
                    seq = table.Column<long>(type: "INTEGER", nullable: false),
                    id = table.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                    job_id = table.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                    client_id = table.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                    miner_id = table.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                    issued_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    body = table.Column<byte[]>(type: "BLOB", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_receipts", x => x.seq);
                });

            migrationBuilder.InsertData(
                table: "receipt_chain_head",
                columns: new[] { "id", "seq", "sha256" },
                values: new object[] { 1, 0L, "0000000000000000000000000000000000000000000000000000000000000000" });

            migrationBuilder.CreateIndex(
                name: "IX_receipts_id",
                table: "receipts",
                column: "id",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_receipts_job_id",
                table: "receipts",
                column: "job_id",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_receipts_miner",
                table: "receipts",
                columns: new[] { "miner_id", "seq" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "receipt_chain_head");

            migrationBuilder.DropTable(
                name: "receipt_keys");

            migrationBuilder.DropTable(
                name: "receipt_signing_seed");

            migrationBuilder.DropTable(
                name: "receipts");
        }
    }
}
