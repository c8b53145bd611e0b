#!/usr/bin/env bash
# Installs the machine packages the tests use, when they are missing. Needs root (or sudo) only when something is
# missing; each feature that needs a package adds it to the list below.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  postgresql    # server binaries (/usr/lib/postgresql/*/bin) for the throwaway cluster of the PostgreSQL pass
  chromium      # the docs pages in a real browser (Operations/DocsBrowserTests)
  nginx-light   # `nginx -t` and requests through deploy/nginx (Operations/DeploymentTests)
  systemd       # `systemd-analyze verify` on deploy/systemd (Operations/DeploymentTests)
)

missing=()
for package in "${packages[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done

# npm itself may come from another nodejs build than Debian's; only a missing command asks Debian for one.
command -v npm >/dev/null 2>&1 || missing+=(npm)

if [ ${#missing[@]} -gt 0 ]; then
  run() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
  echo "Installing test prerequisites: ${missing[*]}"
  run apt-get update -qq
  DEBIAN_FRONTEND=noninteractive run apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# npm tools go into a repository-local, git-ignored folder; once there they work offline.
if [ ! -x .tools/npm/node_modules/.bin/dockerfilelint ]; then
  echo "Installing dockerfilelint into .tools/npm"
  npm install --prefix .tools/npm --no-audit --no-fund --silent dockerfilelint@1.8.0
fi
