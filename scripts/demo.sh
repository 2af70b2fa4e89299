#!/bin/sh
# `make demo`: shows upkeep on the shipped config. At this stage upkeep
# validates and describes the Sunday maintenance job; later stages turn
# this into a full run against a throwaway PostgreSQL, Podman and config
# repository.
set -eu
upkeep=${1:-build/upkeep}

echo "== upkeep --version"
"$upkeep" --version
echo
echo "== upkeep check --config .   (the shipped schedules/ and jobs/)"
"$upkeep" check --config .
echo
echo "== a config with mistakes: what an operator sees"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/schedules" "$tmp/jobs"
cp schedules/sunday.yaml "$tmp/schedules/"
cat > "$tmp/jobs/weekly.yaml" <<'YAML'
job: weekly
windows: [sundy]
steps:
  - { name: vacuum, kind: vacum, dsn: "service=app" }
  - { name: restart api, kind: command, run: [systemctl, restart, api], timout: 5m }
YAML
"$upkeep" check --config "$tmp" || echo "(exit $?: config errors)"
