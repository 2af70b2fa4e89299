#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# tests/integration/lazy-libs.t - libpq, libcurl, libgit2 and libcrypto are
# loaded when first needed, not at start (issue 21 item 4). ldd says what
# upkeep is linked to; glibc's LD_DEBUG=files says what a command loaded;
# a library made unreadable in a private mount namespace (unshare -m and a
# bind mount of /dev/null over the real file, so nothing outside changes)
# must give the error naming it and its Debian package, not a crash.
set -uo pipefail
# shellcheck source=../lib/upkeep.sh
. "$(dirname "$0")/../lib/upkeep.sh"

cfg=$tmp/cfg
mkdir -p "$cfg/schedules" "$cfg/jobs" "$tmp/app"
git -C "$tmp/app" init -q && git -C "$tmp/app" commit -q --allow-empty -m init
printf 'window: w\nstart: daily\nduration: 1h\n' >"$cfg/schedules/w.yaml"
cat >"$cfg/jobs/j.yaml" <<YAML
job: j
windows: [w]
tracked_config: { repo: $tmp/app, stable_ref: refs/upkeep/last-stable_2 }
prechecks:
  - { name: db, kind: postgres, dsn: "host=127.0.0.1 port=1 password=pw-123456 dbname=x" }
  - { name: api, kind: http, url: "http://127.0.0.1:1/health" }
steps:
  - { name: s, kind: command, run: ["true"], timeout: 10s }
YAML
U() { "$UPKEEP" --config "$cfg" "$@"; }

# A sanitizer build (make SANITIZE=...) also has the sanitizers' runtimes
# and what they need; they are left out of both lists below.
sanrt='^(file=)?lib(asan|ubsan|lsan|tsan|stdc(\+\+)?|gcc|gcc_s|m)$'
[[ $(ldd "$UPKEEP") =~ lib(asan|ubsan) ]] || sanrt='^$'
libs=$(ldd "$UPKEEP" | awk '{ print $1 }' | sed 's/\.so.*//; s|.*/||' | grep -Ev "$sanrt" | sort | tr '\n' ' ')
is "$libs" "ld-linux-x86-64 libc libjansson libyaml-0 linux-vdso " "linked to libc, libyaml and jansson alone"

# loaded CMD...: the libraries glibc loaded for the command, by name.
loaded() { LD_DEBUG=files "$@" 2>&1 >/dev/null | grep -o 'file=lib[a-z0-9]*' | grep -Ev "$sanrt" | sort -u | tr '\n' ' '; }
for cmd in "--version" "check" "next -n 1" "history" "report" "help"; do
	# shellcheck disable=SC2086
	is "$(loaded U $cmd)" "file=libc file=libjansson file=libyaml " \
	   "'$cmd' of a config with a DSN, an HTTP check and a tracked repo loads none of the four"
done
# shellcheck disable=SC2046
like "$(loaded U run --ignore-window j)" "file=libcurl.*file=libpq" "a run whose checks need libpq and libcurl loads them"

# A ref name with more than letters, digits, '-', '_' is libgit2's to judge.
sed -i 's|refs/upkeep/last-stable_2|refs/heads/a..b|' "$cfg/jobs/j.yaml"
run U check
like "$err" "'stable_ref' must be a full ref name such as refs/upkeep/last-stable, not 'refs/heads/a..b'" \
     "libgit2 still refuses refs/heads/a..b"

# hidden FILE CMD...: CMD with FILE (a library, symlinks followed) unreadable.
hidden() {
	local f; f=$(realpath "$1"); shift
	unshare -m sh -c 'mount --bind /dev/null "$0" && exec "$@"' "$f" "$@"
}
libdir=$(dirname "$(ldd "$UPKEEP" | awk '/libc.so/ { print $3 }')")
run hidden "$libdir/libgit2.so.1.5" "$UPKEEP" --config "$cfg" check
is "$rc" 2 "libgit2 missing: check fails (exit 2, a config error), no crash"
like "$err" "not 'refs/heads/a..b': cannot load libgit2.so.1.5, which .* need .*; install the Debian package libgit2-1.5" \
     "... saying which library and which package"
sed -i 's|refs/heads/a..b|refs/upkeep/last-stable|' "$cfg/jobs/j.yaml"

run hidden "$libdir/libpq.so.5" "$UPKEEP" --config "$cfg" run --ignore-window j
isnt "$rc" 134 "libpq missing: the run does not abort"
like "$out$err" "db.*cannot load libpq.so.5, which PostgreSQL steps and checks need \\(.*\\); install the Debian package libpq5" \
     "libpq missing: the postgres check says which library and which package"
unlike "$out$err" "pw-123456" "... and the DSN's password is still not shown"

run hidden "$libdir/libcurl.so.4" "$UPKEEP" --config "$cfg" run --ignore-window j
isnt "$rc" 134 "libcurl missing: the run does not abort"
like "$out$err" "api.*cannot load libcurl.so.4, which .* need \\(.*\\); install the Debian package libcurl4" \
     "libcurl missing: the http check says which library and which package"

done_testing
