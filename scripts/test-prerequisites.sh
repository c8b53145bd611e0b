#!/usr/bin/env bash
# Installs the machine packages the tests use, when they are missing. Needs root (or sudo) only when something is
# missing; each feature that needs a package adds it to the list below.
set -euo pipefail

# postgresql: the server binaries (/usr/lib/postgresql/*/bin) for the throwaway cluster of the PostgreSQL pass.
packages=(postgresql)

missing=()
for package in "${packages[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

run() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
echo "Installing test prerequisites: ${missing[*]}"
run apt-get update -qq
DEBIAN_FRONTEND=noninteractive run apt-get install -y -qq --no-install-recommends "${missing[@]}"
