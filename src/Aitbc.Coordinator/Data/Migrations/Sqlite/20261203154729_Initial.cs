using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

#pragma warning disable CA1814 // Prefer jagged arrays over multidimensional

namespace Aitbc.Coordinator.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Initial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "api_keys",
                columns: table => new
                {
                    id = table.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    hash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    prefix = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    roles = table.Column<int>(type: "INTEGER", nullable: false),
                    source = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    user_id = table.Column<string>(type: "TEXT", maxLength: 40, nullable: true),
                    created_by = table.Column<string>(type: "TEXT", maxLength: 40, nullable: true),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    last_used_at = table.Column<DateTime>(type: "TEXT", nullable: true),
                    revoked_at = table.Column<DateTime>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_api_keys", x => x.id);
                });

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

            migrationBuilder.CreateTable(
                name: "job_profiles",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    key = table.Column<string>(type: "TEXT", nullable: false),
                    models = table.Column<string>(type: "TEXT", nullable: false),
                    min_vram_gb = table.Column<int>(type: "INTEGER", nullable: true),
                    gpu = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    region = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_job_profiles", x => x.id);
                });

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
                name: "miners",
                columns: table => new
                {
                    id = table.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                    api_key_id = table.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                    capabilities = table.Column<string>(type: "TEXT", nullable: false),
                    models = table.Column<string>(type: "TEXT", nullable: false),
                    gpus = table.Column<string>(type: "TEXT", nullable: false),
                    max_vram_gb = table.Column<int>(type: "INTEGER", nullable: false),
                    region = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    max_concurrency = table.Column<int>(type: "INTEGER", nullable: false),
                    price_per_unit = table.Column<long>(type: "INTEGER", nullable: false),
                    wallet_address = table.Column<string>(type: "TEXT", maxLength: 128, nullable: true),
                    status = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    blocked = table.Column<bool>(type: "INTEGER", nullable: false),
                    drained_by_operator = table.Column<bool>(type: "INTEGER", nullable: false),
                    registered_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    updated_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    last_seen_at = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_miners", x => x.id);
                });

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
                name: "jobs",
                columns: table => new
                {
                    seq = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    id = table.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                    client_id = table.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                    api_key_id = table.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                    job_type = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    state = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    priority = table.Column<int>(type: "INTEGER", nullable: false),
                    parameters = table.Column<string>(type: "TEXT", nullable: false),
                    parameters_sha256 = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    requirements = table.Column<string>(type: "TEXT", nullable: true),
                    profile_id = table.Column<long>(type: "INTEGER", nullable: false),
                    min_vram_gb = table.Column<int>(type: "INTEGER", nullable: true),
                    required_gpu = table.Column<string>(type: "TEXT", nullable: true),
                    region = table.Column<string>(type: "TEXT", nullable: true),
                    max_price = table.Column<long>(type: "INTEGER", nullable: true),
                    attempts = table.Column<int>(type: "INTEGER", nullable: false),
                    max_attempts = table.Column<int>(type: "INTEGER", nullable: false),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    expires_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    started_at = table.Column<DateTime>(type: "TEXT", nullable: true),
                    completed_at = table.Column<DateTime>(type: "TEXT", nullable: true),
                    miner_id = table.Column<string>(type: "TEXT", maxLength: 40, nullable: true),
                    unit_price = table.Column<long>(type: "INTEGER", nullable: true),
                    lease_token = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    lease_expires_at = table.Column<DateTime>(type: "TEXT", nullable: true),
                    result_lease_token = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    result = table.Column<string>(type: "TEXT", nullable: true),
                    metrics = table.Column<string>(type: "TEXT", nullable: true),
                    error_code = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    error_message = table.Column<string>(type: "TEXT", nullable: true),
                    idempotency_key = table.Column<string>(type: "TEXT", maxLength: 255, nullable: true),
                    request_hash = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_jobs", x => x.seq);
                    table.ForeignKey(
                        name: "FK_jobs_job_profiles_profile_id",
                        column: x => x.profile_id,
                        principalTable: "job_profiles",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
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

            migrationBuilder.CreateTable(
                name: "job_attempts",
                columns: table => new
                {
                    job_seq = table.Column<long>(type: "INTEGER", nullable: false),
                    attempt = table.Column<int>(type: "INTEGER", nullable: false),
                    miner_id = table.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                    lease_token = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    started_at = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_job_attempts", x => new { x.job_seq, x.attempt });
                    table.ForeignKey(
                        name: "FK_job_attempts_jobs_job_seq",
                        column: x => x.job_seq,
                        principalTable: "jobs",
                        principalColumn: "seq",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "job_models",
                columns: table => new
                {
                    job_seq = table.Column<long>(type: "INTEGER", nullable: false),
                    model = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_job_models", x => new { x.job_seq, x.model });
                    table.ForeignKey(
                        name: "FK_job_models_jobs_job_seq",
                        column: x => x.job_seq,
                        principalTable: "jobs",
                        principalColumn: "seq",
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

            migrationBuilder.InsertData(
                table: "receipt_chain_head",
                columns: new[] { "id", "seq", "sha256" },
                values: new object[] { 1, 0L, "0000000000000000000000000000000000000000000000000000000000000000" });

            migrationBuilder.CreateIndex(
                name: "IX_api_keys_hash",
                table: "api_keys",
                column: "hash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_api_keys_user_id",
                table: "api_keys",
                column: "user_id");

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

            migrationBuilder.CreateIndex(
                name: "ix_job_attempts_started",
                table: "job_attempts",
                column: "started_at");

            migrationBuilder.CreateIndex(
                name: "IX_job_profiles_key",
                table: "job_profiles",
                column: "key",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_jobs_id",
                table: "jobs",
                column: "id",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_jobs_client",
                table: "jobs",
                columns: new[] { "client_id", "seq" });

            migrationBuilder.CreateIndex(
                name: "ix_jobs_completed",
                table: "jobs",
                column: "completed_at");

            migrationBuilder.CreateIndex(
                name: "ix_jobs_expiry",
                table: "jobs",
                column: "expires_at",
                filter: "state IN ('queued', 'running')");

            migrationBuilder.CreateIndex(
                name: "ix_jobs_idempotency",
                table: "jobs",
                columns: new[] { "client_id", "idempotency_key" },
                unique: true,
                filter: "idempotency_key IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_jobs_leases",
                table: "jobs",
                column: "lease_expires_at",
                filter: "state = 'running'");

            migrationBuilder.CreateIndex(
                name: "ix_jobs_miner",
                table: "jobs",
                column: "miner_id",
                filter: "state = 'running'");

            migrationBuilder.CreateIndex(
                name: "ix_jobs_queue",
                table: "jobs",
                columns: new[] { "priority", "seq" },
                descending: new[] { true, false },
                filter: "state = 'queued'");

            migrationBuilder.CreateIndex(
                name: "ix_jobs_queue_profile",
                table: "jobs",
                columns: new[] { "profile_id", "priority", "seq" },
                descending: new[] { false, true, false },
                filter: "state = 'queued'");

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
                name: "IX_miners_api_key_id",
                table: "miners",
                column: "api_key_id",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_miners_liveness",
                table: "miners",
                columns: new[] { "status", "last_seen_at" });

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
                name: "api_keys");

            migrationBuilder.DropTable(
                name: "exchange_address_counters");

            migrationBuilder.DropTable(
                name: "exchange_payments");

            migrationBuilder.DropTable(
                name: "job_attempts");

            migrationBuilder.DropTable(
                name: "job_models");

            migrationBuilder.DropTable(
                name: "ledger_holds");

            migrationBuilder.DropTable(
                name: "ledger_postings");

            migrationBuilder.DropTable(
                name: "login_challenges");

            migrationBuilder.DropTable(
                name: "miners");

            migrationBuilder.DropTable(
                name: "receipt_chain_head");

            migrationBuilder.DropTable(
                name: "receipt_keys");

            migrationBuilder.DropTable(
                name: "receipt_signing_seed");

            migrationBuilder.DropTable(
                name: "receipts");

            migrationBuilder.DropTable(
                name: "user_sessions");

            migrationBuilder.DropTable(
                name: "users");

            migrationBuilder.DropTable(
                name: "jobs");

            migrationBuilder.DropTable(
                name: "ledger_accounts");

            migrationBuilder.DropTable(
                name: "ledger_transactions");

            migrationBuilder.DropTable(
                name: "job_profiles");
        }
    }
}
