#!/usr/bin/env bash
# `make demo`: the Sunday maintenance window, for real, in a sandbox.
#
# Starts a throwaway PostgreSQL (an `app` database with bloated tables),
# the Podman Docker-API service (stopped containers, dangling images, an
# unused network), an OCI registry (an image whose tag moved), a tiny HTTP
# app with /health, and a git-tracked config repo for the app. Then, under
# a fixed clock set to Sunday 02:00 UTC, with the shipped jobs/weekly.yaml
# pointed at the sandbox:
#   1. upkeep plan weekly                    what a run would do
#   2. upkeep run weekly                     succeeds; last-stable promoted
#   3. a breaking config change is committed
#   4. next Sunday: upkeep run weekly        the restart loads the broken
#      config, validation fails, the config rolls back by itself
#   5. the run reports, the weekly report, a summary
# The config root and its reports stay in $DEMO_DIR (default ./demo, git-
# ignored, removed by `make demo-clean`); the servers stop at the end.
set -euo pipefail
upkeep=$(realpath "${1:-build/upkeep}")
repo=$(cd "$(dirname "$0")/.." && pwd)
demo=${DEMO_DIR:-$repo/demo}
demo=$(mkdir -p "$demo" && cd "$demo" && pwd)
sunday1='2026-11-22 02:00' sunday2='2026-11-29 02:00'

# The test servers, without TAP: they stop when this script ends.
. "$repo/tests/lib/notap.sh"
. "$repo/tests/lib/servers.sh"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
[ -t 1 ] && [ -z "${NO_COLOR:-}" ] || say() { printf '\n== %s\n' "$*"; }
U() { "$upkeep" --config "$demo/cfg" "$@"; }

# What an earlier demo left (only what this script makes).
rm -rf "$demo/cfg" "$demo/app-config" "$demo/img" "$demo/img.tar" \
	"$demo/app.port" "$demo/app.log" "$demo/pg_service.conf"
mkdir -p "$demo/cfg/schedules" "$demo/cfg/jobs"

say "starting the sandbox (PostgreSQL, Podman API, registry, app)"
pg_start
psql -qX -v ON_ERROR_STOP=1 -c "create database app" >/dev/null
psql -qX -v ON_ERROR_STOP=1 -d app >/dev/null <<'SQL'
create table orders (id serial primary key, customer int, total numeric, note text);
insert into orders (customer, total, note)
  select g % 500, g * 1.5, repeat('x', 60) from generate_series(1, 60000) g;
delete from orders where id % 3 <> 0;           -- 40,000 dead tuples
create table "audit log" (at timestamptz default now(), what text);
insert into "audit log" (what) select 'event ' || g from generate_series(1, 20000) g;
update "audit log" set what = what || '!';      -- 20,000 dead tuples
create table settings (k text primary key, v text);
insert into settings values ('theme', 'dark');
analyze settings;
SQL
# "service=app" in the shipped job finds the sandbox's database.
cat >"$demo/pg_service.conf" <<EOF
[app]
host=$PGHOST
port=$PGPORT
user=postgres
dbname=app
EOF
export PGSERVICEFILE=$demo/pg_service.conf
echo "PostgreSQL $(psql -AtX -c 'show server_version') on $PGHOST: database app with 60,000 dead tuples"

podman_start
# A tiny image made from a tarball (nothing is pulled from the network).
mkdir -p "$demo/img" && printf 'v1\n' >"$demo/img/version"
tar -C "$demo/img" -cf "$demo/img.tar" version
podman_cli import -q "$demo/img.tar" demo/tool:1 >/dev/null
podman_cli create -q --name old-job-1 demo/tool:1 /version >/dev/null
podman_cli create -q --name old-job-2 demo/tool:1 /version >/dev/null
printf 'v2\n' >"$demo/img/version" && tar -C "$demo/img" -cf "$demo/img.tar" version
podman_cli import -q "$demo/img.tar" demo/tool:1 >/dev/null   # v1 left dangling…
podman_cli rm -f old-job-2 >/dev/null                            # …and unused once its container is gone
podman_cli network create demo-unused >/dev/null
registry_start
# web:1.0 is pulled here, then the registry gets a new image under the
# same tag: the patch check must notice the digest moved.
printf 'web 1.0\n' >"$demo/img/version" && tar -C "$demo/img" -cf "$demo/img.tar" version
podman_cli import -q "$demo/img.tar" "$REGISTRY/demo/web:1.0" >/dev/null
podman_cli push -q --tls-verify=false "$REGISTRY/demo/web:1.0" >/dev/null
podman_cli rmi -f "$REGISTRY/demo/web:1.0" >/dev/null
podman_cli pull -q --tls-verify=false "$REGISTRY/demo/web:1.0" >/dev/null
# The app's container: stopped, but the protect label keeps it (and its
# image) out of the prune.
podman_cli create -q --name web --label upkeep.keep=true "$REGISTRY/demo/web:1.0" /version >/dev/null
printf 'web 1.0 (rebuilt)\n' >"$demo/img/version" && tar -C "$demo/img" -cf "$demo/img.tar" version
podman_cli import -q "$demo/img.tar" "$REGISTRY/demo/web:rebuilt" >/dev/null
podman_cli push -q --tls-verify=false "$REGISTRY/demo/web:rebuilt" "$REGISTRY/demo/web:1.0" >/dev/null
echo "Podman API on $PODMAN_SOCK: stopped containers, a dangling image, an unused network; registry $REGISTRY: demo/web:1.0 moved"

# The app's config, tracked in git; the app serves /health from it.
mkdir -p "$demo/app-config"
printf 'mode: stable\nworkers: 4\n' >"$demo/app-config/app.yaml"
printf '.env\n' >"$demo/app-config/.gitignore"
printf 'API_TOKEN=not-tracked\n' >"$demo/app-config/.env"
git -C "$demo/app-config" init -q -b main
git -C "$demo/app-config" -c user.name=ops -c user.email=ops@example.invalid add -A
git -C "$demo/app-config" -c user.name=ops -c user.email=ops@example.invalid commit -qm "app config"
_server_spawn app "$demo/app.log" -- "$UPKEEP_PYTHON" "$repo/scripts/demo_app.py" \
	--config-dir "$demo/app-config" --port-file "$demo/app.port"
_srv_stop[app]=_server_stop
for _ in $(seq 100); do [ -s "$demo/app.port" ] && break; sleep 0.05; done
app=http://127.0.0.1:$(cat "$demo/app.port")
echo "app on $app: /health says $(curl -s "$app/health")"

# The shipped window and job, pointed at the sandbox: its paths, URL,
# apply and restart commands, the sandbox's plain-HTTP registry;
# validation retries 3 s instead of 2 min; and no `until` for the Docker
# prune (the sandbox's objects are minutes old while the fixed clock says
# it is an earlier Sunday).
cp "$repo/schedules/sunday.yaml" "$demo/cfg/schedules/"
sed -e "s|/srv/app/deploy|$demo/app-config|g" \
    -e "s|http://127.0.0.1:5001|$app|g" \
    -e "s|path: /var/lib/upkeep|path: $demo|" \
    -e "s|\[docker, compose, up, -d\]|[curl, -fsS, -X, POST, \"$app/reload\"]|" \
    -e "s|\[docker, compose, restart\]|[curl, -fsS, -X, POST, \"$app/reload\"]|" \
    -e "s|retry_for: 2m|retry_for: 3s|" \
    -e "/^    until: 168h/d" \
    -e "s|^    images: running\$|    images: running\n    insecure_registries: [\"$REGISTRY\"]|" \
    "$repo/jobs/weekly.yaml" >"$demo/cfg/jobs/weekly.yaml"
U check -q

say "upkeep plan weekly   (a dry run on Sunday $sunday1 UTC: changes nothing)"
U --now "$sunday1" plan weekly || true

say "upkeep run weekly   (Sunday $sunday1 UTC)"
U --now "$sunday1" run weekly || true
run1=$(U history --json | "$UPKEEP_PYTHON" -c 'import json,sys; print(json.load(sys.stdin)[-1]["run_id"])')

say "a breaking change to the app's config is committed"
printf 'mode: experimental\nworkers: 64\n' >"$demo/app-config/app.yaml"
git -C "$demo/app-config" -c user.name=dev -c user.email=dev@example.invalid commit -qam "try experimental mode"
git -C "$demo/app-config" log --oneline -3 | sed 's/^/  /'

say "upkeep run weekly   (next Sunday, $sunday2 UTC: the restart loads the broken config)"
U --now "$sunday2" run weekly || true
run2=$(U history --json | "$UPKEEP_PYTHON" -c 'import json,sys; print(json.load(sys.stdin)[-1]["run_id"])')

say "after the rollback"
echo "app /health: $(curl -s "$app/health")"
git -C "$demo/app-config" log --oneline -4 | sed 's/^/  /'
echo "last-stable: $(git -C "$demo/app-config" rev-parse --short --verify -q refs/upkeep/last-stable || echo none)   work tree: $(git -C "$demo/app-config" status --porcelain | wc -l) changed files"

say "the runs"
U history --json | "$UPKEEP_PYTHON" "$repo/scripts/demo_summary.py"
echo
echo "run reports:"
find "$demo/cfg/reports/runs" -name "$run1.md" -o -name "$run2.md" | sort | sed 's/^/  /'
weekly=$(find "$demo/cfg/reports" -path '*weekly*' -name '*.html' 2>/dev/null | sort | tail -1)
if [ -n "$weekly" ]; then
	echo "weekly report: $weekly"
else
	echo "weekly report: (not written by this version)"
fi
echo
echo "The sandbox's servers stop now; the config root and reports stay in $demo"
echo "('make demo-clean' removes them)."
