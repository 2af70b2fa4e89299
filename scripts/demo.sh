#!/bin/sh
# `make demo`: upkeep on the shipped config, then a real run of a small
# job in a throwaway config root under a fixed clock set to a Sunday 02:00
# UTC. Later stages turn this into the full Sunday SOP against a throwaway
# PostgreSQL, Podman and config repository.
set -eu
upkeep=$(realpath "${1:-build/upkeep}")

echo "== upkeep check   (the shipped schedules/ and jobs/)"
"$upkeep" check --config .
echo
echo "== upkeep next -n 3 (from Sun 2026-11-22 00:00 UTC)"
"$upkeep" --config . --now '2026-11-22 00:00' next -n 3
echo

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/schedules" "$tmp/jobs"
cp schedules/sunday.yaml "$tmp/schedules/"
cat > "$tmp/jobs/demo.yaml" <<YAML
job: demo
description: a small Sunday job made of commands
windows: [sunday]
prechecks:
  - { name: room on /, kind: disk, path: /, min_free: 1% }
steps:
  - { name: disk usage, kind: command, run: [df, -h, /], timeout: 30s }
  - { name: clean temp, kind: command, run: [find, "$tmp", -name, "*.tmp", -delete], timeout: 1m }
  - { name: runaway, kind: command, shell: "sleep 600 & sleep 600", timeout: 2s, on_failure: continue }
validate:
  - { name: memory, kind: memory, max_used: 95% }
YAML
echo "== upkeep plan demo   (a dry run: changes nothing)"
"$upkeep" --config "$tmp" --now '2026-11-22 02:00' plan demo
echo
echo "== upkeep run demo -v   (the runaway step is stopped with its children)"
"$upkeep" --config "$tmp" --now '2026-11-22 02:00' run demo -v || true
echo
echo "== upkeep report"
"$upkeep" --config "$tmp" report
