#!/usr/bin/env bash
# Runs every test of the repository. On a fresh machine it first installs what the tests need and the .NET SDK
# does not bring (see scripts/test-prerequisites.sh); then it runs `dotnet test` over the whole solution.
set -euo pipefail
cd "$(dirname "$0")"

bash scripts/test-prerequisites.sh
dotnet tool restore >/dev/null
dotnet test Aitbc.slnx --configuration Release "$@"
