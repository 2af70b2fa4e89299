#!/usr/bin/env bash
# The tracked config, on a 5,000-file work tree with 50 changed files:
#   snapshot: upkeep's run snapshot vs `git stash create` (the closest git
#             command: a commit of the work tree, no ref, no checkout);
#   rollback: upkeep's restore (which also records the failed state) vs
#             `git checkout REF -- . && git clean -fdq`.
# Both timed as processes from here, per operation; the ratio is the figure.
set -euo pipefail
bin=$(realpath "${1:?usage: bench/rollback.sh STABLE_BENCH_BINARY}")
runs=${BENCH_RUNS:-20}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export GIT_CONFIG_NOSYSTEM=1 HOME=$tmp
git config --global user.name bench
git config --global user.email bench@example.invalid

repo=$tmp/repo
for d in $(seq 50); do
	mkdir -p "$repo/d$d"
	for f in $(seq 100); do printf '%s %s\n' "$d" "$f" >"$repo/d$d/f$f"; done
done
git -C "$repo" init -q && git -C "$repo" add -A && git -C "$repo" commit -qm base
base=$(git -C "$repo" rev-parse HEAD)
touch_50() { for d in $(seq 50); do printf 'changed %s\n' "$1" >"$repo/d$d/f7"; done; }

now_ns() { date +%s%N; }
# time_it VAR CMD...: adds CMD's wall time (ns) to VAR.
time_it() {
	local var=$1 t0 t1
	shift
	t0=$(now_ns)
	"$@" >/dev/null
	t1=$(now_ns)
	printf -v "$var" '%d' $(( ${!var} + t1 - t0 ))
}

snap_u=0 snap_g=0 rb_u=0 rb_g=0
touch_50 s
for _ in $(seq "$runs"); do
	time_it snap_u "$bin" snapshot "$repo"
	time_it snap_g git -C "$repo" stash create
done
for i in $(seq "$runs"); do
	touch_50 "u$i"
	time_it rb_u "$bin" restore "$repo" "$base"
	touch_50 "g$i"
	time_it rb_g sh -c 'cd "$1" && git checkout -q "$2" -- . && git clean -fdq' sh "$repo" "$base"
done
[ -z "$(git -C "$repo" status --porcelain)" ] || { echo "bench: the tree is not clean"; exit 1; }
# What starting each program costs (upkeep links libgit2, libpq, libcurl and
# their 42 shared libraries; a run pays it once, not per snapshot).
start_u=0 start_g=0
for _ in $(seq "$runs"); do
	time_it start_u sh -c '"$1" 2>/dev/null; exit 0' sh "$bin"
	time_it start_g git --version
done

ms() { awk -v ns="$1" -v n="$runs" 'BEGIN { printf "%.1f", ns / n / 1e6 }'; }
printf 'tracked config, 5,000 files, 50 changed (%d runs each)\n' "$runs"
printf '  %-40s %7s ms\n' "upkeep run snapshot" "$(ms $snap_u)" \
	"git stash create" "$(ms $snap_g)" \
	"upkeep rollback (records the failed state)" "$(ms $rb_u)" \
	"git checkout REF -- . && git clean -fd" "$(ms $rb_g)"
printf '  %-40s %7s ms\n' "starting the program: upkeep's libraries" "$(ms $start_u)" \
	"starting the program: git" "$(ms $start_g)"
awk -v su="$snap_u" -v sg="$snap_g" -v ru="$rb_u" -v rg="$rb_g" \
    -v pu="$start_u" -v pg="$start_g" 'BEGIN {
	printf "  ratio snapshot: upkeep/git = %.2f (goal <= 1.0); without program start %.2f\n", su / sg, (su - pu) / (sg - pg)
	printf "  ratio rollback: upkeep/git = %.2f; without program start %.2f\n", ru / rg, (ru - pu) / (rg - pg)
}'
