#!/usr/bin/env bash
# `make demo`: the dev server with the dashboard, its flow runs executed either by the REAL Prefect
# 1.4.1 library (where Python 3 and .venv/prefect1 are there: scripts/demo-real.mjs registers the
# demo flows and runs a real local agent beside the server) or by the server's simulated agent
# (--simulate), the fallback. The first line of output says which one is running.
#
#   scripts/demo.sh [--simulate]        DEMO_LISTEN=127.0.0.1:4200 DEMO_DB=data/prefect.sqlite
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
listen=${DEMO_LISTEN:-127.0.0.1:4200}
db=${DEMO_DB:-data/prefect.sqlite}
mkdir -p "$(dirname "$db")"

simulate() {
  printf '\033[1mdemo: SIMULATED flows: the dev server'"'"'s --simulate agent runs the demo flows (%s)\033[0m\n' "$1"
  exec ./target/debug/prefect-dev-server --listen "$listen" --db "$db" --demo --simulate --auth --www www --pkg pkg
}

if [ "${1:-}" = "--simulate" ] || [ -n "${SIMULATE:-}" ]; then
  simulate "asked for"
fi
if [ ! -x .venv/prefect1/bin/python ]; then
  simulate "no .venv/prefect1: Python 3 was not found by scripts/setup.sh"
fi
printf '\033[1mdemo: trying REAL flows with Prefect 1.4.1 (.venv/prefect1)\033[0m\n'
node scripts/demo-real.mjs --listen "$listen" --db "$db" --www www --pkg pkg
status=$?
[ "$status" -eq 3 ] && simulate "real flows could not start, see above"
exit "$status"
