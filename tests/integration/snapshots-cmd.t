#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# tests/integration/snapshots-cmd.t - `upkeep snapshots list | verify |
# restore` against snapshots taken by real runs of a snapshot step on the
# PostgreSQL fixture. Checked with independent tools: psql (row counts and
# md5 of a table's contents after a restore; nothing changed by a dry run
# or a refused one), sha256sum/stat (sizes), dd (a corrupted byte), and a
# pg_restore wrapper that records its argv (no password on it). Also: an
# unknown or malformed run id, an incomplete snapshot (manifest removed),
# snapshots the user may not read (unreadable, never pruned), usage errors.
set -uo pipefail
# shellcheck source=../lib/servers.sh
. "$(dirname "$0")/../lib/servers.sh"
# shellcheck source=../lib/upkeep.sh
. "$(dirname "$0")/../lib/upkeep.sh"
PY=$UPKEEP_PYTHON

pg_start
rm -rf "$tmp"
tmp=$UPKEEP_TEST_TMP/t
mkdir -p "$tmp"
cfg=$tmp/cfg
snaps=$cfg/snapshots
mkdir -p "$cfg/schedules" "$cfg/jobs"
printf 'window: w\nstart: "*-*-* 02:00"\nduration: 1h\n' >"$cfg/schedules/w.yaml"
printf 'kill_grace: 2s\n' >"$cfg/upkeep.yaml"
U() { "$UPKEEP" --config "$cfg" "$@"; }
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
# js JSON EXPR: EXPR of j, the JSON on stdin.
js() { "$PY" -c "import json,sys; j=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }

q -c "CREATE DATABASE app" -c "CREATE DATABASE shop" || bail_out "cannot create databases"
q -d app -c "CREATE TABLE items (id int PRIMARY KEY, name text, price numeric)" \
	-c "INSERT INTO items SELECT g, 'item ' || g, g * 1.5 FROM generate_series(1, 5000) g" \
	-c "CREATE TABLE notes (id serial PRIMARY KEY, body text)" \
	-c "INSERT INTO notes (body) SELECT md5(g::text) FROM generate_series(1, 300) g" ||
	bail_out "cannot fill app"
q -d shop -c "CREATE TABLE orders (id serial PRIMARY KEY, note text)" \
	-c "INSERT INTO orders (note) SELECT md5(g::text) FROM generate_series(1, 700) g" ||
	bail_out "cannot fill shop"
sum_items='SELECT count(*) || $$ $$ || md5(string_agg(i::text, $$,$$ ORDER BY id)) FROM items i'
tables='SELECT count(*) FROM pg_tables WHERE schemaname = $$public$$'

cat >"$cfg/jobs/snap.yaml" <<YAML
job: snap
windows: [w]
steps:
  - { name: snapshot, kind: snapshot, timeout: 2m, postgres: ["dbname=app", "dbname=shop"] }
YAML

# ---- a real snapshot, listed ------------------------------------------------
run U --now '2026-11-02 02:00' run snap
is "$rc" 0 "run: a snapshot is taken" || diag "$out" "$err"
dir=$(ls -d "$snaps"/20261102T020000Z-snap-* 2>/dev/null | head -1)
id=$(basename "$dir")
ok "the snapshot has a manifest" test -s "$dir/manifest.json"

run U snapshots list
is "$rc" 0 "list: exit 0"
like "$out" "CREATED +JOB +SIZE +STATE +VERIFIED +RUN +CONTENTS" "list: a header"
like "$out" "2026-11-02T02:00:00Z +snap +[0-9.]+ [KM]iB +complete +yes +$id +app, shop, metrics" "list: the snapshot, complete and verified, with its databases"
run U snapshots list --json
is "$rc" 0 "list --json: exit 0"
is "$(js '[(s["run_id"], s["job"], s["created"], s["complete"], s["verified"], s["dir"]) for s in j]' <<<"$out")" \
	"[('$id', 'snap', '2026-11-02T02:00:00Z', True, True, '$dir')]" "list --json: run id, job, time, complete, verified, directory"
# The size is what the artifacts take on disk, by stat.
disk=$(find "$dir" -type f ! -name manifest.json -printf '%s\n' | awk '{ s += $1 } END { print s }')
is "$(js 'j[0]["size_bytes"]' <<<"$out")" "$disk" "list --json: size is the artifacts' bytes (stat)"
run U snapshots list --job other
is "$out" "no snapshots of job 'other' in '$snaps'" "list --job: filters by job"

# ---- verify -------------------------------------------------------------------
run U snapshots verify "$id"
is "$rc" 0 "verify: exit 0" || diag "$out" "$err"
like "$out" "ok +pg/app.dump" "verify: app.dump ok"
like "$out" "ok +pg/shop.dump" "verify: shop.dump ok"
like "$out" "snapshot $id verified: 3 artifacts match the manifest" "verify: says it verified all three"

# ---- restore ------------------------------------------------------------------
q -c "CREATE DATABASE app_copy"
target="dbname=app_copy"
run U snapshots restore "$id" --db app --into "$target"
is "$rc" 2 "restore without --yes: exit 2"
like "$out" "would restore database 'app' of snapshot $id.*from: pg/app.dump \\([0-9.]+ KiB, taken 2026-11-02T02:00:00Z\\)" "without --yes: says what it would do"
like "$out" "into: database 'app_copy' on dbname=app_copy \\(0 tables now\\)" "without --yes: names the target and what is in it"
like "$err" "nothing restored: a restore replaces data in 'app_copy'; add --yes to do it" "without --yes: refuses, saying how"
is "$(q -d app_copy -c "$tables")" "0" "without --yes: nothing restored (psql)"

run U snapshots restore "$id" --db app --into "$target" --dry-run
is "$rc" 0 "restore --dry-run: exit 0" || diag "$out" "$err"
like "$out" "dry run: the dump matches its sha256 and pg_restore 15\\.[0-9]+ .* can read it; nothing restored" "--dry-run: checks the dump, restores nothing"
is "$(q -d app_copy -c "$tables")" "0" "--dry-run: nothing restored (psql)"
run U snapshots restore "$id" --db app --into "$target" --dry-run --yes
is "$(q -d app_copy -c "$tables")" "0" "--dry-run with --yes: still nothing restored (psql)"

run U snapshots restore "$id" --db app --into "$target" --yes
is "$rc" 0 "restore --yes: exit 0" || diag "$out" "$err"
like "$out" "restored database 'app' of snapshot $id into 'app_copy'" "restore: says so"
is "$(q -d app_copy -c "$sum_items")" "$(q -d app -c "$sum_items")" "restored items: same row count and md5 of the contents (psql)"
is "$(q -d app_copy -c 'SELECT count(*) FROM notes')" "300" "restored notes: 300 rows (psql)"

# --clean: what the dump holds is put back, other objects are left alone.
q -d app_copy -c "DELETE FROM items WHERE id > 100" -c "INSERT INTO notes (body) VALUES ('extra')" \
	-c "CREATE TABLE mine (x int)" -c "INSERT INTO mine VALUES (7)"
run U snapshots restore "$id" --db app --into "$target" --yes
is "$rc" 0 "restore over a changed database: exit 0" || diag "$out" "$err"
is "$(q -d app_copy -c "$sum_items")" "$(q -d app -c "$sum_items")" "changed items are put back (psql)"
is "$(q -d app_copy -c 'SELECT count(*) FROM notes')" "300" "the extra note is gone (psql)"
is "$(q -d app_copy -c 'SELECT x FROM mine')" "7" "a table the dump does not hold is left alone (psql)"

run U snapshots restore "$id" --db nope --into "$target" --yes
is "$rc" 2 "unknown --db: exit 2"
is "$err" "upkeep snapshots restore: no dump of database 'nope' in snapshot '$id' (its databases: app (pg/app.dump), shop (pg/shop.dump))" "unknown --db: lists the databases"
run U snapshots restore "$id" --db shop --into "dbname=no_such_db" --yes
is "$rc" 1 "a target that does not exist: exit 1"
like "$err" "cannot connect to PostgreSQL .*database \"no_such_db\" does not exist.*\\(check --into\\)" "a target that does not exist: clear error"

# ---- the password stays off pg_restore's argv -------------------------------
fake=$tmp/fakebin
mkdir -p "$fake"
ln -s "$PG_BINDIR/pg_dump" "$fake/pg_dump"
cat >"$fake/pg_restore" <<SH
#!/bin/sh
printf '%s\n' "\$*" >>"$tmp/argv.log"
printf 'PGPASSWORD=%s\n' "\${PGPASSWORD:+set}" >>"$tmp/argv.log"
exec "$PG_BINDIR/pg_restore" "\$@"
SH
chmod +x "$fake/pg_restore"
cat >"$cfg/jobs/pw.yaml" <<YAML
job: pw
windows: [w]
steps:
  - { name: snap, kind: snapshot, timeout: 1m, metrics: false, pg_bindir: "$fake", postgres: ["dbname=shop"] }
YAML
run U --now '2026-11-02 02:30' run pw
is "$rc" 0 "a snapshot of a job with pg_bindir" || diag "$out" "$err"
pwid=$(basename "$(ls -d "$snaps"/20261102T023000Z-pw-*)")
q -c "CREATE ROLE alice LOGIN PASSWORD 'Tr0ub4dor' SUPERUSER" -c "CREATE DATABASE shop_copy OWNER alice"
{ printf 'local all alice scram-sha-256\n'; cat "$PG_DATA/pg_hba.conf"; } >"$tmp/hba" &&
	cat "$tmp/hba" >"$PG_DATA/pg_hba.conf" && q -c "SELECT pg_reload_conf()" >/dev/null
run U snapshots restore "$pwid" --db shop --into "user=alice password=Tr0ub4dor dbname=shop_copy" --yes
is "$rc" 0 "restore with a password in --into: exit 0" || diag "$out" "$err"
is "$(q -d shop_copy -c 'SELECT count(*), md5(string_agg(note, $$,$$ ORDER BY id)) FROM orders')" \
	"$(q -d shop -c 'SELECT count(*), md5(string_agg(note, $$,$$ ORDER BY id)) FROM orders')" "restored orders match (psql)"
like "$(cat "$tmp/argv.log")" "--clean --if-exists --single-transaction --no-password --dbname=.*user='alice'" "the step's pg_bindir's pg_restore ran, with --clean --if-exists"
unlike "$(cat "$tmp/argv.log")" "Tr0ub4dor" "the password is not on pg_restore's command line"
like "$(cat "$tmp/argv.log")" "PGPASSWORD=set" "pg_restore got the password through PGPASSWORD"
unlike "$out$err" "Tr0ub4dor" "the password is not in upkeep's output"
run U snapshots restore "$pwid" --db shop --into "user=alice password=wrong-pw dbname=shop_copy" --yes
is "$rc" 1 "a wrong password: exit 1"
like "$err" "password authentication failed for user \"alice\"" "a wrong password: clear error"
unlike "$err" "wrong-pw" "a wrong password: not shown"

# ---- a corrupted dump -----------------------------------------------------------
run U --now '2026-11-03 02:00' run snap
is "$rc" 0 "a second snapshot" || diag "$out" "$err"
dir2=$(ls -d "$snaps"/20261103T020000Z-snap-* | head -1)
id2=$(basename "$dir2")
before=$(sha256sum "$dir2/pg/shop.dump" | cut -d' ' -f1)
off=$(($(stat -c %s "$dir2/pg/shop.dump") / 2))
byte=$(od -An -tu1 -j "$off" -N1 "$dir2/pg/shop.dump" | tr -d ' ')
printf "\\$(printf '%03o' $(((byte + 1) % 256)))" | dd of="$dir2/pg/shop.dump" bs=1 seek="$off" conv=notrunc status=none
isnt "$(sha256sum "$dir2/pg/shop.dump" | cut -d' ' -f1)" "$before" "one byte of shop.dump changed (sha256sum)"
run U snapshots verify "$id2"
is "$rc" 1 "verify of a corrupted snapshot: exit 1"
like "$err" "'$dir2/pg/shop.dump' does not match the manifest: sha256 [0-9a-f]{64}, the manifest says $before" "verify names the corrupted file"
like "$err" "snapshot '$id2' is NOT a good backup: 1 of 3 artifacts failed" "verify says the snapshot is not good"
like "$out" "ok +pg/app.dump" "the intact dump still verifies"
like "$out" "FAILED pg/shop.dump" "the corrupted dump is marked failed"
q -c "CREATE DATABASE shop_bad"
run U snapshots restore "$id2" --db shop --into "dbname=shop_bad" --yes
is "$rc" 1 "restore of a corrupted dump: exit 1"
like "$err" "'$dir2/pg/shop.dump' does not match the manifest: sha256 .*; nothing restored" "restore refuses a corrupted dump, naming it"
is "$(q -d shop_bad -c "$tables")" "0" "restore of a corrupted dump: nothing restored (psql)"
run U snapshots verify "$id"
is "$rc" 0 "the first snapshot still verifies"

# A snapshot of paths only, and a database whose dump file has ".." in
# its name: both verify.
mkdir -p "$tmp/data" && printf 'a\n' >"$tmp/data/f"
q -c 'CREATE DATABASE "v..x"'
cat >"$cfg/jobs/odd.yaml" <<YAML
job: odd
windows: [w]
steps:
  - { name: files, kind: snapshot, timeout: 1m, metrics: false, paths: ["$tmp/data"] }
  - { name: dots, kind: snapshot, timeout: 1m, metrics: false, postgres: ["dbname=v..x"], dest: dots }
YAML
run U --now '2026-11-02 02:00' run odd
is "$rc" 0 "a snapshot of paths only and one of database v..x" || diag "$out" "$err"
odd=$(basename "$(ls -d "$snaps"/*-odd-*)")
is "$(ls -d "$cfg"/dots/*-odd-*)" "$cfg/dots/$odd" "the two steps wrote one run id into two dests"
run U snapshots verify "$odd"
is "$rc" 0 "verify of a run with two snapshots (paths only; a step's own dest): exit 0" || diag "$out" "$err"
like "$out" "verifying $snaps/$odd .*ok +files.tar.gz" "verify: the paths-only snapshot's archive is checked"
like "$out" "verifying $cfg/dots/$odd .*ok +pg/v..x.dump" "verify: the other dest's snapshot too, a dump named v..x.dump is inside it"
q -c 'CREATE DATABASE vx_copy'
run U snapshots restore "$odd" --db v..x --into dbname=vx_copy --yes
is "$rc" 0 "restore finds the dump in the step's own dest" || diag "$out" "$err"
run U snapshots list --job odd
like "$out" "$odd +v..x" "list: shows the step's own dest too"

# ---- unknown and malformed run ids, usage -------------------------------------
run U snapshots verify 20261102T020000Z-snap-ffff
is "$rc" 2 "unknown run id: exit 2"
is "$err" "upkeep snapshots verify: no snapshot '20261102T020000Z-snap-ffff' in '$snaps', '$cfg/dots' ('upkeep snapshots list' shows the run ids; 'upkeep history' lists the runs)" "unknown run id: clear error, says how to find ids"
run U snapshots restore ../../etc --db app --into "$target" --yes
is "$rc" 2 "a path as run id: exit 2"
like "$err" "'../../etc' is not a run id \\(they look like 20261129T020000Z-weekly-3f9a; 'upkeep snapshots list' shows the run ids\\)" "a path as run id: refused"
run U snapshots verify "20261102T020000Z-x/../../$(basename "$dir")-abcd"
like "$err" "is not a run id" "a run id with a slash: refused"
run U snapshots verify
is "$rc" 2 "verify without a run id: exit 2"
like "$err" "which snapshot\\? give its run id" "verify without a run id: says what is missing"
run U snapshots restore "$id" --into "$target"
is "$rc" 2 "restore without --db: exit 2"
like "$err" "restore needs --db NAME" "restore without --db: says so"
run U snapshots restore "$id" --db app
like "$err" "restore needs --into DSN" "restore without --into: says so"
run U snapshots frobnicate
is "$rc" 2 "unknown sub-command: exit 2"
like "$err" "no sub-command 'frobnicate' \\(list, verify or restore\\)" "unknown sub-command: lists them"
run U snapshots verify "$id" --timeout 0s
like "$err" "--timeout: give a duration above zero" "--timeout 0s: refused"
run U snapshots list --bogus
like "$err" "unknown option '--bogus'" "unknown option: refused"
run U help snapshots
like "$out" "Examples:.*upkeep snapshots restore" "help teaches with examples"

# ---- an incomplete snapshot (manifest removed) --------------------------------
run U --now '2026-11-04 02:00' run snap
dir3=$(ls -d "$snaps"/20261104T020000Z-snap-* | head -1)
id3=$(basename "$dir3")
rm "$dir3/manifest.json"
run U snapshots list --job snap
like "$out" "2026-11-04T02:00:00Z +snap +[0-9.]+ [KM]iB +incomplete +no +$id3" "list: a snapshot without manifest is incomplete"
like "$out" "2026-11-02T02:00:00Z +snap .* complete +yes +$id" "list: the complete one is still complete"
run U snapshots list --json --job snap
is "$(js '[(s["complete"], s["verified"], s["size_bytes"]) for s in j if s["run_id"] == "'"$id3"'"]' <<<"$out")" \
	"[(False, False, $(find "$dir3" -type f -printf '%s\n' | awk '{ s += $1 } END { print s }'))]" "list --json: incomplete, not verified, its bytes on disk"
run U snapshots verify "$id3"
is "$rc" 1 "verify of an incomplete snapshot: exit 1"
like "$err" "snapshot '$id3' in '$snaps' is incomplete \\(no manifest.json: .*\\) and is not a backup" "verify refuses an incomplete snapshot"
q -c "CREATE DATABASE app_inc"
run U snapshots restore "$id3" --db app --into "dbname=app_inc" --yes
is "$rc" 1 "restore from an incomplete snapshot: exit 1"
is "$(q -d app_inc -c "$tables")" "0" "restore from an incomplete snapshot: nothing restored (psql)"

# ---- a hostile manifest: a path outside the snapshot ----------------------------
"$PY" - "$cfg/dots/$odd/manifest.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
m["artifacts"][0]["path"] = "../../../../etc/passwd"
json.dump(m, open(sys.argv[1], "w"))
PY
run U snapshots verify "$odd"
is "$rc" 1 "a manifest naming a path outside the snapshot: exit 1"
like "$err" "the manifest of '$odd' has an artifact without a path inside the snapshot or a sha256: the manifest is damaged" "a path outside the snapshot: refused, not read"
run U snapshots restore "$odd" --db ../../../../etc/passwd --into dbname=vx_copy --yes
is "$rc" 1 "restore with such a manifest: exit 1"
like "$err" "names '../../../../etc/passwd', a path outside the snapshot" "restore with such a manifest: refused"

# ---- snapshots this user may not read ------------------------------------------
# Taken by root (each snapshot directory is 0700), looked at by nobody:
# they are unreadable, not "0 B incomplete", the path is named with
# "permission denied", and retention neither plans nor makes their
# deletion. Without root, the same with chmod 000 on our own directories.
pdest=$tmp/perm-snaps
pcfg=$tmp/cfg-perm
ncfg=$tmp/cfg-perm-nobody
as=()
for c in "$pcfg" "$ncfg"; do
	mkdir -p "$c/schedules" "$c/jobs"
	cp "$cfg/schedules/w.yaml" "$c/schedules/"
done
keep() {
	cat >"$1/jobs/perm.yaml" <<YAML
job: perm
windows: [w]
steps:
  - { name: snapshot, kind: snapshot, timeout: 1m, keep_last: $2, dest: "$pdest" }
YAML
}
keep "$pcfg" 5
keep "$ncfg" 1
fails_at=""
for d in 02 03 04; do
	"$UPKEEP" --config "$pcfg" --now "2026-11-$d 02:00" run perm >/dev/null 2>&1 || fails_at="$fails_at $d"
done
is "$fails_at" "" "three snapshots taken by the owner"
pids=$(cd "$pdest" && ls -d 2026110[234]T020000Z-perm-* | tr '\n' ' ')
p1=${pids%% *}
if [ "$(id -u)" -eq 0 ]; then
	as=(setpriv --reuid=nobody --regid=nogroup --clear-groups --)
	chown -R nobody "$ncfg"
	chmod 1777 "$pdest"	# nobody may add its own snapshot
	is "$(stat -c '%U %a' "$pdest/$p1")" "root 700" "a snapshot directory is root's, 0700"
else
	for p in $pids; do chmod 000 "$pdest/$p"; done
fi
N() { "${as[@]}" "$UPKEEP" --config "$ncfg" "$@"; }

run N snapshots list
is "$rc" 2 "list of unreadable snapshots: exit 2 (the environment, not the snapshots)"
is "$(grep -c ' unreadable ' <<<"$out")" "3" "list: the three are 'unreadable'"
unlike "$out" "incomplete" "list: none is called incomplete"
like "$out" "2026-11-02T02:00:00Z +perm +\\? +unreadable +\\? +$p1 +\\? \\(permission denied\\)" "list: size, verified and contents unknown, not 0 B"
like "$err" "snapshot '$p1': permission denied reading '$pdest/$p1/manifest.json'; run upkeep as a user who may read it" "list: permission denied, and where"
run N snapshots list --json
is "$(js '[(s["state"], s["size_bytes"], s["contents"], s["complete"]) for s in j][0]' <<<"$out")" \
	"('unreadable', None, None, False)" "list --json: state unreadable, size and contents null"
run N snapshots verify "$p1"
is "$rc" 2 "verify of an unreadable snapshot: exit 2"
like "$err" "snapshot '$p1': permission denied reading '$pdest/$p1/manifest.json', so this user cannot tell whether it is a good backup" "verify: permission denied, and where"

run N --now '2026-11-05 02:00' plan perm
like "$out" "retention \\(keep_last 1, keep_weekly 0\\) would delete nothing" "plan: retention would delete none of what it cannot read"
like "$out" "retention leaves alone 3 snapshots it cannot read \\(permission denied reading '$pdest/2026110[234]T020000Z-perm-[0-9a-f]{4}/manifest.json', \\.\\.\\.\\)" "plan: says which it leaves alone and why"
run N --now '2026-11-05 02:00' run perm
is "$rc" 0 "run as the other user: exit 0" || diag "$out" "$err"
like "$(N history --json | js 'j[-1]["steps"][0]["summary"]')" "0 old snapshots pruned; 3 old snapshots left alone: permission denied reading '$pdest/" "run: the summary says what retention left alone and why"
left=0
for p in $pids; do
	[ "$(id -u)" -eq 0 ] || chmod 700 "$pdest/$p"
	[ -s "$pdest/$p/manifest.json" ] && left=$((left + 1))
done
is "$left" "3" "run: the unreadable snapshots are all still there, manifests and all"
run "$UPKEEP" --config "$pcfg" snapshots list --job perm
is "$(grep -c ' complete ' <<<"$out")" "4" "the owner sees four complete snapshots"

done_testing
