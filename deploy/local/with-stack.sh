#!/usr/bin/env bash
# Run a command with the local stack up. Starts the stack when it is not running and stops
# what it started afterwards, keeping the command's exit code.
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
started=0
if ! "$HERE/stack.sh" status >/dev/null 2>&1; then
  "$HERE/stack.sh" up || exit 1
  started=1
fi
cleanup() { if [[ $started == 1 ]]; then "$HERE/stack.sh" down; fi; }
trap cleanup EXIT
trap 'exit 130' INT TERM
"$@"
