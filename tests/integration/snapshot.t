#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# tests/integration/snapshot.t - the snapshot step end to end against the
# PostgreSQL fixture: dumps of two databases checked with pg_restore --list
# and by restoring one into a new database and comparing it with psql;
# hashes with sha256sum; the paths archive with `tar tzvf`; metrics.json
# against what psql reads; the manifest; passwords kept off pg_dump's argv;
# a pg_dump older than the server refused; wrong password, unreachable
# server; the space pre-check; a timeout mid-dump (no manifest, no
# pg_dump left); a dump hashed as it streams (sha256sum agrees), one whose
# pg_dump hangs after writing it all (timed out, no manifest) and one that
# fills the disk; unreadable files; a Docker engine that never answers
# (metrics without it, within a tenth of the budget); retention over 20
# simulated runs; and a plan that creates nothing.
set -uo pipefail
# shellcheck source=../lib/servers.sh
. "$(dirname "$0")/../lib/servers.sh"
# shellcheck source=../lib/upkeep.sh
. "$(dirname "$0")/../lib/upkeep.sh"
PY=$UPKEEP_PYTHON

pg_start
# Everything of this test lives under $UPKEEP_TEST_TMP (traversable by
# the unprivileged user of the unreadable-files case).
rm -rf "$tmp"
tmp=$UPKEEP_TEST_TMP/t
mkdir -p "$tmp"
cfg=$tmp/cfg
snaps=$cfg/snapshots
mkdir -p "$cfg/schedules" "$cfg/jobs"
printf 'window: w\nstart: "*-*-* 02:00"\nduration: 1h\n' >"$cfg/schedules/w.yaml"
printf 'kill_grace: 2s\n' >"$cfg/upkeep.yaml"
U() { "$UPKEEP" --config "$cfg" "$@"; }
# field JOB EXPR: EXPR of r, the newest record of JOB (python3's json).
field() {
	U history --job "$1" --json |
		"$PY" -c "import json,sys; r=json.load(sys.stdin)[-1]; print(eval(sys.argv[1]))" "$2"
}
# man DIR EXPR: EXPR of m, DIR's manifest.
man() { "$PY" -c "import json,sys; m=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$1/manifest.json" "$2"; }
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

# ---- two databases with data --------------------------------------------
q -c "CREATE DATABASE app" -c "CREATE DATABASE shop" || bail_out "cannot create databases"
q -d app -c "CREATE TABLE items (id int PRIMARY KEY, name text, price numeric)" \
	-c "INSERT INTO items SELECT g, 'item ' || g, g * 1.5 FROM generate_series(1, 5000) g" \
	-c "CREATE TABLE churn (id int)" \
	-c "INSERT INTO churn SELECT generate_series(1, 3000)" \
	-c "DELETE FROM churn WHERE id <= 2000" -c "ANALYZE churn" || bail_out "cannot fill app"
q -d shop -c "CREATE TABLE orders (id serial PRIMARY KEY, note text)" \
	-c "INSERT INTO orders (note) SELECT md5(g::text) FROM generate_series(1, 700) g" ||
	bail_out "cannot fill shop"
sum_items='SELECT count(*) || md5(string_agg(i::text, $$,$$ ORDER BY id)) FROM items i'

data=$tmp/data
mkdir -p "$data/sub"
printf 'secret=1\n' >"$data/app.conf"
chmod 0640 "$data/app.conf"
printf 'x\n' >"$data/sub/b"
ln -s app.conf "$data/link"

cat >"$cfg/jobs/snap.yaml" <<YAML
job: snap
windows: [w]
steps:
  - { name: snapshot, kind: snapshot, timeout: 2m, postgres: ["dbname=app", "dbname=shop"], paths: ["$data"] }
YAML

# ---- the plan creates nothing ---------------------------------------------
run U --now '2026-11-02 02:00' plan snap
is "$rc" 0 "plan: exit 0"
like "$out" "would dump database 'app' \\([0-9.]+ [KM]iB on the server\\) to pg/app.dump" "plan names the app database and its size"
like "$out" "would dump database 'shop'" "plan names the shop database"
like "$out" "with pg_dump 15 in /usr/lib/postgresql/15/bin" "plan names the pg_dump it would use"
like "$out" "would archive $data into files.tar.gz" "plan names the paths"
like "$out" "about [0-9.]+ [KM]iB needed; [0-9.]+ [GMT]iB free in '$snaps', .* left after \\(min_free 10%\\)" "plan gives the estimate and the space left"
like "$out" "retention \\(keep_last 8, keep_weekly 0\\) would delete nothing" "plan says what retention would delete"
ok "plan created no snapshot directory" test ! -e "$snaps"
ok "plan wrote no report" test ! -e "$cfg/reports"

# ---- a snapshot -----------------------------------------------------------
run U --now '2026-11-02 02:00' run snap
is "$rc" 0 "run: exit 0" || diag "$out" "$err"
dir=$(ls -d "$snaps"/20261102T020000Z-snap-* 2>/dev/null | head -1)
ok "snapshot directory named by the run id" test -d "$dir"
is "$(field snap 'r["steps"][0]["status"]')" "ok" "record: step ok"
is "$(basename "$dir")" "$(field snap 'r["run_id"]')" "directory name is the run id"
is "$(stat -c %a "$dir")" "700" "snapshot directory is private (0700)"
is "$(man "$dir" 'sorted(a["path"] for a in m["artifacts"])')" \
	"['files.tar.gz', 'metrics.json', 'pg/app.dump', 'pg/shop.dump']" "manifest lists every artifact"
is "$(man "$dir" 'm["run_id"], m["job"], m["created"], m["config_commit"]')" \
	"('$(basename "$dir")', 'snap', '2026-11-02T02:00:00Z', None)" "manifest: run, job, time, no config commit"
# Each artifact's sha256 and size, recomputed with sha256sum and stat.
bad=0
while read -r path sha size; do
	[ "$(sha256sum "$dir/$path" | cut -d' ' -f1)" = "$sha" ] || { bad=1; diag "sha256 of $path differs"; }
	[ "$(stat -c %s "$dir/$path")" = "$size" ] || { bad=1; diag "size of $path differs"; }
done < <(man "$dir" '"\n".join("%s %s %s" % (a["path"], a["sha256"], a["size_bytes"]) for a in m["artifacts"])')
is "$bad" 0 "every artifact's sha256 and size match sha256sum and stat"
is "$(man "$dir" 'm["total_bytes"] == sum(a["size_bytes"] for a in m["artifacts"])')" "True" "manifest total is the sum"
is "$(man "$dir" '[a["pg_dump_version"].split(".")[0] for a in m["artifacts"] if a["kind"] == "postgres"]')" "['15', '15']" "manifest names the pg_dump version"
ok "app.dump lists with pg_restore" pg_restore --list "$dir/pg/app.dump"
like "$(pg_restore --list "$dir/pg/app.dump")" "TABLE public items" "app.dump holds the items table"
like "$(pg_restore --list "$dir/pg/shop.dump")" "TABLE public orders" "shop.dump holds the orders table"
like "$(head -c 5 "$dir/pg/app.dump")" "^PGDMP" "custom format (PGDMP magic)"
q -c "CREATE DATABASE app_copy"
ok "app.dump restores into a new database" pg_restore --exit-on-error -d app_copy "$dir/pg/app.dump"
is "$(q -d app_copy -c "$sum_items")" "$(q -d app -c "$sum_items")" "restored items: same row count and checksum"
is "$(q -d app_copy -c 'SELECT count(*) FROM churn')" "1000" "restored churn rows"
# The archive, listed by tar itself.
listing=$(tar tzvf "$dir/files.tar.gz")
like "$listing" "-rw-r----- [^ ]+ .* ${data#/}/app.conf" "tar keeps the file's mode 0640"
like "$listing" "lrwxrwxrwx [^ ]+ .* ${data#/}/link -> app.conf" "tar keeps the symlink as a link"
like "$listing" "${data#/}/sub/b" "tar has the subdirectory"
# metrics.json against psql and the kernel.
m() { "$PY" -c "import json,sys; m=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$dir/metrics.json" "$1"; }
is "$(m '[p["size_bytes"] for p in m["postgres"] if p["database"] == "app"][0]')" \
	"$(q -d app -c 'SELECT pg_database_size(current_database())')" "metrics: app's size as psql reads it"
is "$(m '[(t["table"], t["dead_tuples"]) for p in m["postgres"] if p["database"] == "app" for t in p["top_dead_tuples"]][0]')" \
	"('churn', $(q -d app -c "SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = 'churn'"))" \
	"metrics: top dead-tuple table and count as psql reads them"
is "$(m 'm["memory"]["total_bytes"] // 1024')" "$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)" "metrics: memory total from /proc/meminfo"
is "$(m '"/" in [d["mount"] for d in m["disks"]]')" "True" "metrics: the root file system is listed"
if [ -e /var/run/docker.sock ]; then
	skip "metrics: no docker key without an engine" "this host has /var/run/docker.sock"
else
	is "$(m 'sorted(m.keys())')" "['collected', 'disks', 'load', 'memory', 'postgres']" "metrics: no docker key without an engine"
fi
is "$(field snap 'len(r["steps"][0]["details"]["artifacts"])')" "4" "record details list the artifacts"

# ---- passwords stay off argv; the pg_dump is chosen and checked -----------
# A pg_bindir whose pg_dump records its argv and whether PGPASSWORD was
# set, then runs the real one.
fake=$tmp/fakebin
mkdir -p "$fake"
cat >"$fake/pg_dump" <<SH
#!/bin/sh
[ "\$1" = --version ] && exec "$PG_BINDIR/pg_dump" --version
printf '%s\n' "\$*" >>"$tmp/argv.log"
printf 'PGPASSWORD=%s\n' "\${PGPASSWORD:+set}" >>"$tmp/argv.log"
exec "$PG_BINDIR/pg_dump" "\$@"
SH
ln -s "$PG_BINDIR/pg_restore" "$fake/pg_restore"
chmod +x "$fake/pg_dump"
q -c "CREATE ROLE alice LOGIN PASSWORD 'Tr0ub4dor' SUPERUSER"
# Password authentication for alice only, over the socket.
{ printf 'local all alice scram-sha-256\n'; cat "$PG_DATA/pg_hba.conf"; } >"$tmp/hba" &&
	cat "$tmp/hba" >"$PG_DATA/pg_hba.conf" && q -c "SELECT pg_reload_conf()" >/dev/null
cat >"$cfg/jobs/pw.yaml" <<YAML
job: pw
windows: [w]
steps:
  - { name: snapshot, kind: snapshot, timeout: 1m, metrics: false, pg_bindir: "$fake", postgres: ["user=alice password=Tr0ub4dor dbname=shop"] }
YAML
run U --now '2026-11-02 02:00' run pw
is "$rc" 0 "password in the conninfo: the dump works" || diag "$out" "$err"
unlike "$(cat "$tmp/argv.log")" "Tr0ub4dor" "the password is not on pg_dump's command line"
like "$(cat "$tmp/argv.log")" "PGPASSWORD=set" "pg_dump got the password through PGPASSWORD"
like "$(cat "$tmp/argv.log")" "--format=custom .*--dbname=.*user='alice'" "pg_dump got the conninfo without it"

sed -i 's/password=Tr0ub4dor/password=wrong-pw/' "$cfg/jobs/pw.yaml"
run U --now '2026-11-02 02:00' run pw
is "$rc" 1 "wrong password: exit 1"
like "$(field pw 'r["steps"][0]["summary"]')" "cannot connect to PostgreSQL \\(.*user=alice.*\\): .*password authentication failed for user \"alice\"" "wrong password: clear error"
unlike "$(cat "$cfg"/reports/runs/2026/*-pw-* "$snaps"/*/manifest.json)" "wrong-pw|Tr0ub4dor" "no password in any report or manifest"
is "$(ls -d "$snaps"/*-pw-* | wc -l)" "1" "wrong password: no new snapshot directory"

cat >"$cfg/jobs/gone.yaml" <<YAML
job: gone
windows: [w]
steps:
  - { name: snapshot, kind: snapshot, timeout: 1m, postgres: ["host=$tmp/nowhere dbname=app"] }
  - { name: missing db, kind: snapshot, timeout: 1m, postgres: ["dbname=no_such_db"] }
YAML
run U --now '2026-11-02 02:00' run gone
is "$rc" 1 "unreachable server: exit 1"
like "$(field gone 'r["steps"][0]["summary"]')" "cannot connect to PostgreSQL \\(dbname=app host=$tmp/nowhere\\): connection to server on socket .*nowhere/.s.PGSQL.[0-9]+\" failed: No such file or directory" "unreachable server: clear error"
sed -i 's/timeout: 1m, postgres: \["host=/timeout: 1m, on_failure: continue, postgres: ["host=/' "$cfg/jobs/gone.yaml"
run U --now '2026-11-02 02:00' run gone
like "$(field gone 'r["steps"][1]["summary"]')" "database \"no_such_db\" does not exist" "missing database: clear error"
ok "report written for the failed run" test -s "$(ls "$cfg"/reports/runs/2026/*-gone-*.md | tail -1)"

# A database that disappears between the listing and its dump: a pg_dump
# wrapper drops it first.
q -c "CREATE DATABASE vanishing"
mkdir -p "$tmp/dropbin"
cat >"$tmp/dropbin/pg_dump" <<SH
#!/bin/sh
[ "\$1" = --version ] || "$PG_BINDIR/dropdb" --if-exists vanishing
exec "$PG_BINDIR/pg_dump" "\$@"
SH
chmod +x "$tmp/dropbin/pg_dump"
ln -s "$PG_BINDIR/pg_restore" "$tmp/dropbin/pg_restore"
cat >"$cfg/jobs/vanish.yaml" <<YAML
job: vanish
windows: [w]
steps:
  - { name: snapshot, kind: snapshot, timeout: 1m, pg_bindir: "$tmp/dropbin", postgres: ["dbname=app", "dbname=vanishing"] }
YAML
run U --now '2026-11-02 02:00' run vanish
is "$rc" 1 "database gone before its dump: exit 1"
like "$(field vanish 'r["steps"][0]["summary"]')" "^pg_dump of dbname=vanishing: .*pg_dump exited with 1: .*database \"vanishing\" does not exist" "database gone: clear error naming it"
ok "database gone: the partial snapshot (app.dump done) was removed" test -z "$(ls -d "$snaps"/*-vanish-* 2>/dev/null)"

# An old pg_dump: refused before anything is dumped, saying what to do.
old=$tmp/oldbin
mkdir -p "$old"
printf '#!/bin/sh\necho "pg_dump (PostgreSQL) 14.9"\n' >"$old/pg_dump"
cp "$old/pg_dump" "$old/pg_restore"
chmod +x "$old/pg_dump" "$old/pg_restore"
cat >"$cfg/jobs/old.yaml" <<YAML
job: old
windows: [w]
steps:
  - { name: snapshot, kind: snapshot, timeout: 1m, pg_bindir: "$old", postgres: ["dbname=app"] }
YAML
run U --now '2026-11-02 02:00' run old
is "$rc" 1 "old pg_dump: exit 1"
like "$(field old 'r["steps"][0]["summary"]')" "pg_dump 14.9 \\($old\\) is older than the server \\(PostgreSQL 15\\) .*install postgresql-client-15 or point pg_bindir at a pg_dump 15 or newer" "old pg_dump: clear error"
ok "old pg_dump: no snapshot directory" test -z "$(ls -d "$snaps"/*-old-* 2>/dev/null)"

# ---- space pre-check ------------------------------------------------------
cat >"$cfg/jobs/full.yaml" <<YAML
job: full
windows: [w]
steps:
  - { name: snapshot, kind: snapshot, timeout: 1m, postgres: ["dbname=app"], min_free: 99.9% }
YAML
run U --now '2026-11-02 02:00' run full
is "$rc" 1 "min_free that cannot be met: exit 1"
like "$(field full 'r["steps"][0]["summary"]')" "^not enough space for the snapshot: about .* needed, .* free in '$snaps', only .* would be left, below min_free 99.9%" "space pre-check: clear error"
ok "space pre-check failed before dumping: no directory" test -z "$(ls -d "$snaps"/*-full-* 2>/dev/null)"
run U --now '2026-11-02 02:00' plan full
like "$out" "would fail: not enough space for the snapshot" "the plan warns about the space"

# ---- timeout mid-dump -----------------------------------------------------
# A session holding an exclusive lock makes pg_dump wait; the step's 2 s
# timeout must stop it, leave no manifest and no pg_dump behind.
q -d app -c "BEGIN" -c "LOCK TABLE items IN ACCESS EXCLUSIVE MODE" -c "SELECT pg_sleep(60)" >/dev/null 2>&1 &
locker=$!
for _ in $(seq 50); do
	[ "$(q -c "SELECT count(*) FROM pg_locks WHERE mode = 'AccessExclusiveLock' AND relation = 'items'::regclass" -d app)" = 1 ] && break
	sleep 0.1
done
cat >"$cfg/jobs/slow.yaml" <<YAML
job: slow
windows: [w]
steps:
  - { name: snapshot, kind: snapshot, timeout: 2s, postgres: ["dbname=app"] }
YAML
start=$(date +%s)
run U --now '2026-11-02 02:00' run slow
took=$(($(date +%s) - start))
kill "$locker" 2>/dev/null
wait "$locker" 2>/dev/null
q -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(60)%' AND pid <> pg_backend_pid()" >/dev/null
is "$rc" 1 "timeout: exit 1"
is "$(field slow 'r["steps"][0]["status"]')" "timed-out" "timeout: step timed-out"
like "$(field slow 'r["steps"][0]["summary"]')" "ran out of time" "timeout: summary says so"
ok "timeout: no snapshot directory (partial one removed)" test -z "$(ls -d "$snaps"/*-slow-* 2>/dev/null)"
is "$(procs_mentioning "$snaps" | grep -c pg_dump)" "0" "timeout: no pg_dump left running"
cmp_ok "$took" -lt 30 "timeout: the run ended promptly"

# ---- a dump hashed as it streams in ------------------------------------------
# A dump of several MiB crosses many reads of the FIFO pg_dump writes to:
# the manifest's sha256 and size must be those of the file on disk
# (sha256sum, stat), the archive must list, and `upkeep snapshots verify`
# (which re-reads the file) must agree.
q -c "CREATE DATABASE big" &&
	q -d big -c "CREATE TABLE t AS SELECT g AS id, md5(g::text) AS a, md5((g * 7)::text) AS b FROM generate_series(1, 120000) g" ||
	bail_out "cannot fill big"
cat >"$cfg/jobs/big.yaml" <<YAML
job: big
windows: [w]
steps:
  - { name: snapshot, kind: snapshot, timeout: 2m, metrics: false, postgres: ["dbname=big"] }
YAML
run U --now '2026-11-02 02:00' run big
is "$rc" 0 "streamed dump: exit 0" || diag "$out" "$err"
bdir=$snaps/$(field big 'r["run_id"]')
bdump=$bdir/pg/big.dump
cmp_ok "$(stat -c %s "$bdump" 2>/dev/null || echo 0)" -gt $((2 * 1024 * 1024)) "streamed dump: over 2 MiB (many chunks)"
is "$(man "$bdir" '[a["sha256"] for a in m["artifacts"]][0]')" "$(sha256sum "$bdump" | cut -d' ' -f1)" \
	"streamed dump: the manifest's sha256 is sha256sum's"
is "$(man "$bdir" '[a["size_bytes"] for a in m["artifacts"]][0]')" "$(stat -c %s "$bdump")" "streamed dump: the manifest's size is the file's"
like "$(pg_restore --list "$bdump")" "TABLE DATA public t" "streamed dump: pg_restore lists its table data"
like "$(man "$bdir" '[a["pg_dump_version"] for a in m["artifacts"]][0]')" "^$("$PG_BINDIR/pg_dump" --version | sed 's/.*(PostgreSQL) \([0-9.]*\).*/\1/')\$" \
	"streamed dump: the manifest names pg_dump's exact version (from the archive)"
ok "streamed dump: no FIFO left" test -z "$(find "$bdir" -type p)"
run U snapshots verify "$(field big 'r["run_id"]')"
is "$rc" 0 "streamed dump: upkeep snapshots verify agrees" || diag "$out" "$err"

# A pg_dump that has streamed its whole dump and then hangs: the timeout
# stops it, and what it wrote, complete as it looks, is no snapshot.
stall=$tmp/stallbin
mkdir -p "$stall"
cat >"$stall/pg_dump" <<SH
#!/bin/sh
[ "\$1" = --version ] && exec "$PG_BINDIR/pg_dump" --version
"$PG_BINDIR/pg_dump" "\$@" || exit 1
touch "$tmp/stall-dumped"
sleep 600
SH
chmod +x "$stall/pg_dump"
ln -s "$PG_BINDIR/pg_restore" "$stall/pg_restore"
cat >"$cfg/jobs/stall.yaml" <<YAML
job: stall
windows: [w]
steps:
  - { name: snapshot, kind: snapshot, timeout: 4s, metrics: false, pg_bindir: "$stall", postgres: ["dbname=big"] }
YAML
run U --now '2026-11-02 02:00' run stall
ok "stalled pg_dump: it had written the whole dump" test -e "$tmp/stall-dumped"
is "$rc" 1 "stalled pg_dump: exit 1"
is "$(field stall 'r["steps"][0]["status"]')" "timed-out" "stalled pg_dump: step timed-out"
is "$(ls "$snaps"/*-stall-*/manifest.json 2>/dev/null | wc -l)" "0" "stalled pg_dump: no manifest claims the dump complete"
ok "stalled pg_dump: no snapshot directory (partial one removed)" test -z "$(ls -d "$snaps"/*-stall-* 2>/dev/null)"
is "$(procs_mentioning "$stall" | wc -l)" "0" "stalled pg_dump: nothing of it left running"

# A disk that fills while the dump streams in: upkeep's write fails, says
# so, stops pg_dump and removes the partial snapshot.
small=$tmp/small
mkdir -p "$small"
if mount -t tmpfs -o size=1m tmpfs "$small" 2>"$tmp/mount.err"; then
	_unmount_small() { umount -l "$small" 2>/dev/null; }
	tap_at_exit _unmount_small
	cat >"$cfg/jobs/fill.yaml" <<YAML
job: fill
windows: [w]
steps:
  - { name: snapshot, kind: snapshot, timeout: 1m, metrics: false, min_free: 0B, size_ratio: 0.01, dest: "$small", postgres: ["dbname=big"] }
YAML
	run U --now '2026-11-02 02:00' run fill
	is "$rc" 1 "disk full mid-dump: exit 1"
	like "$(field fill 'r["steps"][0]["summary"]')" "^pg_dump of dbname=big: cannot write '$small/[^']*/pg/big.dump': No space left on device" \
		"disk full mid-dump: the summary says upkeep could not write the dump"
	is "$(find "$small" -mindepth 1 | wc -l)" "0" "disk full mid-dump: nothing left on the disk"
	is "$(procs_mentioning "$small" | wc -l)" "0" "disk full mid-dump: no pg_dump left running"
elif [ "${CI:-}" = true ]; then
	fail "mount a 1 MiB tmpfs (needs root): $(cat "$tmp/mount.err")"
else
	for _ in 1 2 3 4; do skip "disk full mid-dump" "cannot mount a tmpfs here: $(cat "$tmp/mount.err")"; done
fi

# ---- unreadable files -----------------------------------------------------
# chmod 000 does not stop root, so as root upkeep runs as nobody here.
croot=$cfg
as=()
if [ "$(id -u)" -eq 0 ]; then
	croot=$tmp/cfg-nobody
	as=(runuser -u nobody --)
fi
mkdir -p "$croot/jobs" "$croot/schedules" "$tmp/ro/open"
cp "$cfg/schedules/w.yaml" "$croot/schedules/"
cat >"$croot/jobs/files.yaml" <<YAML
job: files
windows: [w]
steps:
  - { name: snapshot, kind: snapshot, timeout: 1m, metrics: false, paths: ["$tmp/ro"], dest: ro-snaps }
YAML
printf 'fine\n' >"$tmp/ro/open/ok"
printf 'hidden\n' >"$tmp/ro/closed"
[ ${#as[@]} -gt 0 ] && chown -R nobody "$croot" "$tmp/ro"
chmod 000 "$tmp/ro/closed"
run "${as[@]}" "$UPKEEP" --config "$croot" --now '2026-11-02 02:00' run files
is "$rc" 1 "unreadable file: exit 1"
summary=$("$UPKEEP" --config "$croot" history --json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)[-1]["steps"][0]["summary"])')
like "$summary" "^1 file could not be read, the archive is incomplete: $tmp/ro/closed: Cannot open: Permission denied" "unreadable file: named in the summary"
ok "unreadable file: no snapshot kept" test -z "$(ls -d "$croot/ro-snaps"/*-files-* 2>/dev/null)"

# A path that holds the snapshot directory: the archive leaves it out.
mkdir -p "$tmp/selfroot"
printf 'keep\n' >"$tmp/selfroot/conf"
cat >"$cfg/jobs/self.yaml" <<YAML
job: self
windows: [w]
steps:
  - { name: snapshot, kind: snapshot, timeout: 1m, metrics: false, paths: ["$tmp/selfroot"], dest: "$tmp/selfroot/snaps" }
YAML
U --now '2026-11-02 02:00' run self >/dev/null 2>&1
run U --now '2026-11-03 02:00' run self
is "$rc" 0 "dest inside a path: exit 0"
listing=$(tar tzf "$tmp/selfroot/snaps/$(field self 'r["run_id"]')/files.tar.gz")
like "$listing" "selfroot/conf" "dest inside a path: the path is archived"
unlike "$listing" "selfroot/snaps" "dest inside a path: the snapshots are not"

# ---- Docker disk usage from the Podman fixture ------------------------------
podman_start
cat >"$cfg/jobs/dock.yaml" <<YAML
job: dock
windows: [w]
steps:
  - { name: snapshot, kind: snapshot, timeout: 1m, docker_socket: "$PODMAN_SOCK" }
YAML
run U --now '2026-11-02 02:00' run dock
is "$rc" 0 "metrics with docker: exit 0" || diag "$out" "$err"
ddir=$(ls -d "$snaps"/*-dock-* | head -1)
df_py='import json,sys
d=json.load(sys.stdin)
pos=lambda v: v if isinstance(v,int) and v>0 else 0
print([("images",len(d.get("Images") or []),d.get("LayersSize",0)),
 ("containers",len(d.get("Containers") or []),sum(pos(c.get("SizeRw")) for c in d.get("Containers") or [])),
 ("volumes",len(d.get("Volumes") or []),sum(pos((v.get("UsageData") or {}).get("Size")) for v in d.get("Volumes") or []))])'
want=$(curl -fsS --unix-socket "$PODMAN_SOCK" http://d/v1.41/system/df | "$PY" -c "$df_py")
got=$("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1]))["docker"]; print([(k,d[k]["count"],d[k]["size_bytes"]) for k in ("images","containers","volumes")])' "$ddir/metrics.json")
is "$got" "$want" "metrics: docker counts and sizes as /system/df gives them (curl)"
like "$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["docker"]["engine"])' "$ddir/metrics.json")" "^Podman " "metrics: names the engine"
podman_stop
run U --now '2026-11-02 02:00' run dock
is "$rc" 0 "an unreachable engine does not fail the snapshot"
ddir=$snaps/$(field dock 'r["run_id"]')
like "$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["docker"]["error"])' "$ddir/metrics.json")" "$PODMAN_SOCK" "metrics: the unreachable engine is named in an error"

# ---- a Docker engine that accepts and never answers -------------------------
# A wedged dockerd: the probe for metrics.json gets a tenth of the step's
# timeout (1 s here), the snapshot is kept, and the note names the request
# that hung. Before, the probe took the whole budget and the step then
# failed "hashing metrics.json".
hung=$tmp/hung.sock
_server_spawn silent "$tmp/silent.log" -- "$PY" "$UPKEEP_TEST_LIB/silent_socket.py" "$hung"
_server_wait silent "listen on $hung" test -S "$hung"
cat >"$cfg/jobs/hung.yaml" <<YAML
job: hung
windows: [w]
steps:
  - { name: snapshot, kind: snapshot, timeout: 10s, postgres: ["dbname=shop"], paths: ["$data"] }
YAML
t0=$SECONDS
run env DOCKER_HOST="unix://$hung" "$UPKEEP" --config "$cfg" --now '2026-11-02 02:00' run hung
took=$((SECONDS - t0))
is "$rc" 0 "hung engine: the snapshot succeeds" || diag "$out" "$err"
is "$(field hung 'r["steps"][0]["status"]')" "ok" "hung engine: step ok"
cmp_ok "$took" -lt 10 "hung engine: the run ended within the step's 10 s timeout"
hdir=$snaps/$(field hung 'r["run_id"]')
ok "hung engine: the snapshot has its manifest" test -s "$hdir/manifest.json"
is "$(man "$hdir" 'sorted(a["path"] for a in m["artifacts"])')" \
	"['files.tar.gz', 'metrics.json', 'pg/shop.dump']" "hung engine: dump, files and metrics all kept"
like "$(field hung 'r["steps"][0]["summary"]')" \
	"verified; .*metrics without Docker disk usage: GET /_ping: no answer from unix://$hung within the time allowed \\(1s\\)" \
	"hung engine: the summary names the request that hung and the time it had"
like "$(field hung 'r["steps"][0]["details"]["notes"][0]')" "GET /_ping: no answer from unix://$hung" "hung engine: the note is in the record's details"
like "$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["docker"]["error"])' "$hdir/metrics.json")" \
	"GET /_ping: no answer" "hung engine: metrics.json says why Docker is missing"
_server_stop silent

# The same engine answering /_ping and /version, then silent on /system/df.
_server_spawn silent "$tmp/silent.log" -- "$PY" "$UPKEEP_TEST_LIB/silent_socket.py" "$hung" --answer-version
_server_wait silent "listen on $hung" test -S "$hung"
t0=$SECONDS
run env DOCKER_HOST="unix://$hung" "$UPKEEP" --config "$cfg" --now '2026-11-03 02:00' run hung
took=$((SECONDS - t0))
is "$rc" 0 "hung /system/df: the snapshot succeeds" || diag "$out" "$err"
cmp_ok "$took" -lt 10 "hung /system/df: the run ended within the step's 10 s timeout"
like "$(field hung 'r["steps"][0]["summary"]')" \
	"metrics without Docker disk usage: GET /v1.43/system/df: no answer from unix://$hung within the time allowed \\(1s\\)" \
	"hung /system/df: the summary names the endpoint"
_server_stop silent

# ---- retention over 20 simulated runs -------------------------------------
cat >"$cfg/jobs/ret.yaml" <<YAML
job: ret
windows: [w]
steps:
  - { name: snapshot, kind: snapshot, timeout: 1m, keep_last: 3, keep_weekly: 2 }
YAML
# Another job's snapshot and a snapshot killed mid-way (no manifest).
mkdir -p "$snaps/20261101T020000Z-other-abcd" "$snaps/20261104T120000Z-ret-dead"
days() { ls "$snaps" | sed -n 's/^202611\([0-9][0-9]\)T020000Z-ret-.*/\1/p' | tr '\n' ' '; }
fails_at=""
for d in $(seq 2 21); do
	day=$(printf '2026-11-%02d 02:00' "$d")
	U --now "$day" run ret >/dev/null 2>&1 || fails_at="$fails_at $d"
	# The newest verified snapshot is never deleted.
	[ -n "$(ls -d "$snaps/$(printf '202611%02d' "$d")"T020000Z-ret-*/manifest.json 2>/dev/null)" ] || fails_at="$fails_at $d(newest gone)"
	[ "$d" = 2 ] && [ -e "$snaps/20261104T120000Z-ret-dead" ] && fails_at="$fails_at 2(incomplete kept)"
	[ "$d" = 11 ] && after11=$(days)
done
is "$fails_at" "" "20 runs succeeded, each keeping its own snapshot; the first removed the incomplete one"
# keep_last 3 keeps the 3 newest; keep_weekly 2 adds the newest of each of
# the 2 newest ISO weeks (W46 ends Sun 15th, W45 ends Sun 8th).
is "$after11" "08 09 10 11 " "after 11 Nov: 9-11 (last 3) and 8 (newest of W45)"
is "$(days)" "15 19 20 21 " "after 21 Nov: 19-21 (last 3) and 15 (newest of W46)"
ok "the incomplete snapshot was removed" test ! -e "$snaps/20261104T120000Z-ret-dead"
ok "another job's snapshot was left alone" test -d "$snaps/20261101T020000Z-other-abcd"
# A run whose clock is behind the newest snapshot: retention alone would
# drop the new one (oldest, in no kept week), but it is never deleted.
run U --now '2026-10-26 02:00' run ret
is "$rc" 0 "a run dated before the others succeeds"
is "$(ls -d "$snaps"/20261026T020000Z-ret-*/manifest.json 2>/dev/null | wc -l)" "1" "its snapshot (the newest verified) is kept"
rm -rf "$snaps"/20261026T020000Z-ret-*
run U --now '2026-11-22 02:00' plan ret
like "$out" "retention \\(keep_last 3, keep_weekly 2\\) would delete 20261119T020000Z-ret-[0-9a-f]{4}" "plan lists what retention would delete"
is "$(days)" "15 19 20 21 " "the plan deleted nothing"

done_testing
