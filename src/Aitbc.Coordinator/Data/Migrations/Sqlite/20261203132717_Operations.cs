using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Aitbc.Coordinator.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Operations : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "drained_by_operator",
                table: "miners",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.CreateIndex(
                name: "ix_jobs_completed",
                table: "jobs",
                column: "completed_at");

            migrationBuilder.CreateIndex(
                name: "ix_job_attempts_started",
                table: "job_attempts",
                column: "started_at");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_jobs_completed",
                table: "jobs");

            migrationBuilder.DropIndex(
                name: "ix_job_attempts_started",
                table: "job_attempts");

            migrationBuilder.DropColumn(
                name: "drained_by_operator",
                table: "miners");
        }
    }
}
