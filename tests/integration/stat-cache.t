#!/usr/bin/env bash
# The run snapshot's stat cache (.git/upkeep/index, issue 21 item 3): a
# work tree whose own index is stale (a `cp -a` copy) is read whole once
# and then known by its stat data; the cache never makes a snapshot miss
# a change (an edit in the same second as the cache was written, content
# changed with its size and mtime put back, a racy entry), is rebuilt when
# broken, leaves no lock behind, and changes nothing git sees: the
# repository's index file, `git status`, `git stash create`. The real git
# is the oracle throughout (it reads upkeep's cache as an index too).
set -uo pipefail
. "$(dirname "$0")/../lib/upkeep.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
export GIT_CONFIG_NOSYSTEM=1 HOME=$tmp/home
mkdir -p "$HOME"
git config --global user.name tester
git config --global user.email tester@example.invalid
git config --global init.defaultBranch main
git config --global gc.auto 0

cfg=$tmp/cfg orig=$tmp/orig app=$tmp/app
mkdir -p "$cfg/schedules" "$cfg/jobs"
printf 'window: w\nstart: "*-*-* 00:00"\nduration: 23h\n' >"$cfg/schedules/w.yaml"
cat >"$cfg/jobs/snap.yaml" <<YAML
job: snap
windows: [w]
tracked_config:
  repo: $app
steps:
  - { name: work, kind: command, run: ["true"], timeout: 1m }
YAML
minute=0
U() { "$UPKEEP" --config "$cfg" "$@"; }
G() { git -C "$app" "$@"; }
# snap_run [ARGS]: one run (a minute later each time); snap_tree: the last
# run's snapshot tree into $tree; snap: both.
snap_run() {
	minute=$((minute + 1))
	run U --now "$(printf '2026-11-22 %02d:%02d' $((minute / 60)) $((minute % 60)))" run snap "$@"
	[ "$rc" = 0 ] || diag "$out$err"
}
snap_tree() {
	tree=$(G rev-parse "$(U history --json | "$PY" -c \
		'import json,sys; print("refs/upkeep/runs/" + json.load(sys.stdin)[-1]["run_id"])')^{tree}")
}
snap() { snap_run "$@"; snap_tree; }
cache=$app/.git/upkeep/index
# C: git with upkeep's cache as its index
C() { GIT_INDEX_FILE=$cache git -C "$app" "$@"; }

# 20 directories x 50 files, committed; 10 then changed and not committed.
"$PY" - "$orig" <<'PY'
import os, sys
for i in range(1000):
    d = f"{sys.argv[1]}/d{i // 50:02d}"
    os.makedirs(d, exist_ok=True)
    with open(f"{d}/f{i:03d}", "w") as f:
        f.write(f"file {i}\n")
PY
git -C "$orig" init -q && git -C "$orig" add -A && git -C "$orig" commit -qm base
for i in 0 1 2 3 4 5 6 7 8 9; do printf 'changed %s\n' "$i" >"$(printf '%s/d%02d/f%03d' "$orig" "$i" $((50 * i + 7)))"; done
# The stale copy: new inodes and ctimes, so none of the index's stat data
# matches (what a restored backup or a copy gives).
cp -a "$orig" "$app"
cp -a "$orig" "$tmp/base"
stale=$(G diff-files --name-only | wc -l)
cmp_ok "$stale" -ge 1000 "the copy's own index is stale: git must read every file ($stale)"
idx_sum=$(sha256sum "$app/.git/index")
idx_mtime=$(stat -c %y "$app/.git/index")

# ---- a stale copy: read once, then known by the cache -------------------
snap
is "$rc" 0 "run 1 on the stale copy succeeds"
is "$tree" "$(git -C "$tmp/base" rev-parse "$(git -C "$tmp/base" stash create)^{tree}")" \
	"the snapshot's tree is git stash create's (on a copy of its own)"
ok "the cache exists" test -s "$cache"
is "$(C ls-files -s | wc -l)" 1000 "git reads the cache as an index: 1,000 entries"
is "$(C diff-files --name-only | wc -l)" 0 "the cache's stat data matches every file (git diff-files)"
is "$(sha256sum "$app/.git/index")" "$idx_sum" "the repository's index file is untouched"
is "$(stat -c %y "$app/.git/index")" "$idx_mtime" "... and not rewritten"
is "$(G diff-files --name-only | wc -l)" "$stale" "the repository's index is still stale: upkeep did not refresh it"
is "$(G status --porcelain | wc -l)" 10 "git status sees the 10 changes, as before"
ok "no lock file is left in .git/upkeep" sh -c "! ls '$app/.git/upkeep' | grep -q lock"
cache_mtime=$(stat -c %y "$cache")
snap
is "$(stat -c %y "$cache")" "$cache_mtime" "run 2 with nothing changed does not rewrite the cache"
is "$tree" "$(git -C "$tmp/base" rev-parse "$(git -C "$tmp/base" stash create)^{tree}")" \
	"run 2's tree is still git stash create's"

# ---- an edit in the same second as the cache was written ----------------
# A run, then an edit keeping the size, all in one second (retried until
# they fit in one): the next snapshot has the edit.
for try in 1 2 3 4 5; do
	sleep "0.$(printf '%09d' $((1000000000 - 10#$(date +%N))))"	# to a second's start
	printf 'same-second A\n' >"$app/d05/f250"
	snap_run
	printf 'same-second B\n' >"$app/d05/f250"
	[ "$(stat -c %Y "$cache")" = "$(stat -c %Y "$app/d05/f250")" ] && break
	note "try $try: the run and the edit straddled a second"
done
is "$(stat -c %Y "$cache")" "$(stat -c %Y "$app/d05/f250")" "the cache was written in the second of the edit"
snap
is "$(G cat-file -p "$tree:d05/f250")" "same-second B" "an edit in the same second as the cache write is in the next snapshot"

# ---- content changed, size and mtime put back (touch -d) -----------------
# git notices by the ctime (core.trustctime, on by default); so must upkeep.
snap
m=$(stat -c %y "$app/d07/f350")
printf 'file 999\n' >"$app/d07/f350"	# same size as "file 350"
touch -d "$m" "$app/d07/f350"
is "$(stat -c %y "$app/d07/f350")" "$m" "the mtime is put back, to the nanosecond"
like "$(G status --porcelain)" " M d07/f350" "git sees the change (by the ctime)"
snap
is "$(G cat-file -p "$tree:d07/f350")" "file 999" "upkeep sees it too"

# ---- a racy entry: its mtime not older than the cache -------------------
# With core.trustctime off, only the racy-git rule can see this change: a
# file dated after the cache was written, changed again with its size and
# mtime kept. git reads such a file (git status below); so must upkeep.
G config core.trustctime false
future=$(($(date +%s) + 3600))
printf 'racy A\n' >"$app/d09/f450"
touch -d "@$future" "$app/d09/f450"
snap
is "$(G cat-file -p "$tree:d09/f450")" "racy A" "the future-dated file is in the snapshot"
printf 'racy B\n' >"$app/d09/f450"
touch -d "@$future" "$app/d09/f450"
is "$(C diff-files --name-only)" "d09/f450" "git, reading the cache, sees the racy file as changed"
snap
is "$(G cat-file -p "$tree:d09/f450")" "racy B" "upkeep reads the racy file again and sees the change"
G config --unset core.trustctime

# ---- git is unaffected --------------------------------------------------
printf 'last\n' >"$app/d13/f650"
before=$(G status --porcelain)	# may refresh the index: before the sums
idx_sum=$(sha256sum "$app/.git/index")
idx_mtime=$(stat -c %y "$app/.git/index")
snap
is "$(sha256sum "$app/.git/index")" "$idx_sum" "the repository's index file is untouched"
is "$(stat -c %y "$app/.git/index")" "$idx_mtime" "... and not rewritten"
is "$(G status --porcelain)" "$before" "git status says what it said before"
ok "git fsck finds nothing wrong" G fsck --no-progress --no-dangling
stash=$(G stash create)
ok "git stash create still works" test -n "$stash"
is "$(G rev-parse "$stash^{tree}")" "$tree" "... and its tree is the snapshot's (no untracked file now)"
is "$(C write-tree)" "$tree" "the cache holds the snapshot's tree"

# ---- a file git stopped tracking and now ignores ------------------------
G rm -q --cached d10/f500
printf 'd10/f500\n' >"$app/.gitignore"
G add .gitignore
snap
fails "a file removed from git's index and ignored is not in the snapshot" G cat-file -e "$tree:d10/f500"
printf 'untracked\n' >"$app/new.conf"
snap
is "$(G cat-file -p "$tree:new.conf")" "untracked" "an untracked file is in the snapshot"
rm "$app/new.conf"
snap
fails "... and gone from the next once deleted" G cat-file -e "$tree:new.conf"

# ---- a broken cache is rebuilt; a stale lock is removed ------------------
printf 'not an index\n' >"$cache"
printf 'cache broken\n' >"$app/d11/f550"
snap -vv
is "$rc" 0 "a broken cache does not fail the run"
like "$err$out" "stat cache: unreadable, rebuilding it" "it says so at debug level"
is "$(G cat-file -p "$tree:d11/f550")" "cache broken" "... and its snapshot has the work tree"
ok "the cache is rebuilt: git reads it" C ls-files --error-unmatch d11/f550
is "$(C diff-files --name-only | wc -l)" 0 "... with fresh stat data"
: >"$cache.lock"	# what a killed upkeep leaves
printf 'after the lock\n' >"$app/d12/f600"
snap
is "$(G cat-file -p "$tree:d12/f600")" "after the lock" "a stale cache lock does not fail the run"
ok "the stale lock is removed" test ! -e "$cache.lock"
is "$(C diff-files --name-only | wc -l)" 0 "the cache is written again"

done_testing
