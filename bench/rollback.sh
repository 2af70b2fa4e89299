#!/usr/bin/env bash
# bench/rollback.sh - the tracked config, on a work tree of
# BENCH_SNAP_DIRS x BENCH_SNAP_FILES files (50 x 100 = 5,000) with 50
# changed, upkeep's operations against the git commands a user would run:
#
#   snapshot  upkeep's run snapshot vs `git stash create` (a commit of the
#             work tree, no ref, no checkout: the closest git command), in
#             two cases, each side on its own copy of the repository so
#             that neither warms the other's stat cache:
#               fresh  the index's stat data matches the files (copy, then
#                      `git update-index --refresh`);
#               stale  a `cp -a` copy (new inodes and ctimes: every file
#                      must be read again).  git writes its refreshed
#                      index back, so from round 2 on it pays that once;
#                      the rounds after the first show whether upkeep
#                      keeps a cache of its own (goal <= 1.0 in both);
#   rollback  upkeep's restore (which also records the failed state) vs
#             `git checkout REF -- . && git clean -fdq`, each on its own
#             copy with 50 files changed again before every round (a
#             figure, no goal set).
#
# The upkeep side is bench/stable_bench (upkeep's snapshot and restore
# code alone, linked like upkeep, so a whole process with upkeep's start
# cost): `upkeep run` would add the engine's own work, which run.sh
# measures.  Paired, alternating rounds (bench/lib.sh).
#
#   bench/rollback.sh BUILD/bench/stable_bench
set -euo pipefail
bin=$(realpath "${1:?usage: bench/rollback.sh STABLE_BENCH_BINARY}")
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
tmp=$BENCH_TMP
ndirs=${BENCH_SNAP_DIRS:-50}
nfiles=${BENCH_SNAP_FILES:-100}
export GIT_CONFIG_NOSYSTEM=1 HOME=$tmp
git config --global user.name bench
git config --global user.email bench@example.invalid

base=$tmp/base
for d in $(seq "$ndirs"); do
	mkdir -p "$base/d$d"
	for f in $(seq "$nfiles"); do printf '%s %s\n' "$d" "$f" >"$base/d$d/f$f"; done
done
git -C "$base" init -q && git -C "$base" add -A && git -C "$base" commit -qm base
head=$(git -C "$base" rev-parse HEAD)
# touch_50 REPO TAG: changes one file in each of 50 directories.
touch_50() { for d in $(seq 1 $((ndirs < 50 ? ndirs : 50))); do printf 'changed %s\n' "$2" >"$1/d$d/f7"; done; }
touch_50 "$base" base

for c in fresh stale; do
	for s in upkeep base; do
		cp -a "$base" "$tmp/$c-$s"
		[ "$c" = stale ] || git -C "$tmp/$c-$s" update-index -q --refresh || true
	done
done

snap_fresh_up() { "$bin" snapshot "$tmp/fresh-upkeep"; }
snap_fresh_git() { git -C "$tmp/fresh-base" stash create; }
snap_stale_up() { "$bin" snapshot "$tmp/stale-upkeep"; }
snap_stale_git() { git -C "$tmp/stale-base" stash create; }
files=$((ndirs * nfiles))
bench_compare -m "run snapshot, $files files, fresh stat" -b "git stash create (own copy)" \
	-g "<= 1.0" -u snap_fresh_up -B snap_fresh_git
bench_compare -m "run snapshot, $files files, stale stat (cp -a)" -b "git stash create (own copy)" \
	-g "<= 1.0" -u snap_stale_up -B snap_stale_git

cp -a "$base" "$tmp/rb-upkeep"
cp -a "$base" "$tmp/rb-base"
rb_prep() { touch_50 "$tmp/rb-$1" "round-$RANDOM"; }
rb_up() { "$bin" restore "$tmp/rb-upkeep" "$head"; }
rb_git() { (cd "$tmp/rb-base" && git checkout -q "$head" -- . && git clean -fdq); }
rb_clean() { [ -z "$(git -C "$tmp/rb-$1" status --porcelain)" ] || { echo "the tree is not clean"; return 1; }; }
bench_compare -m "rollback, $files files, $((ndirs < 50 ? ndirs : 50)) changed" -b "git checkout REF -- . && git clean -fdq" \
	-u rb_up -B rb_git -p rb_prep -c rb_clean
bench_end
