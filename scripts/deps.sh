#!/bin/sh
# Installs the Debian packages upkeep needs to build, run, demo and test,
# and does nothing when they are all there. `make deps` runs it; so do
# `make demo` and `make check`, which is what makes each of them work on a
# fresh Debian machine by itself. The list is the one place packages are
# named: add a package here, never by hand.
set -eu

# runc, busybox-static and docker-compose are for the tests' running
# containers (tests/lib/containers.sh): Podman runs them with runc here
# (crun cannot set their rlimits on this VM), busybox is the base image
# that needs no registry, and the compose tests drive Debian's
# docker-compose against Podman's Docker API.
PACKAGES="
build-essential pkg-config
libgit2-dev libpq-dev libcurl4-openssl-dev libssl-dev libyaml-dev
libjansson-dev
libcmocka-dev
git tzdata ca-certificates
postgresql postgresql-client
podman crun catatonit uidmap slirp4netns fuse-overlayfs
runc busybox-static docker-compose
docker-registry
perl curl python3 procps tmux util-linux strace
systemd
chromium libxml2-utils cmark-gfm
clang libclang-rt-14-dev
man-db groff-base
"
# `scripts/deps.sh bench`: also what the benchmarks compare against.
if [ "${1:-}" = bench ]; then
	PACKAGES="$PACKAGES yamllint time cron"
fi

# Node.js for the test oracle: only when there is none (this machine image
# may carry its own build, which Debian's npm package would conflict with).
command -v node >/dev/null 2>&1 || PACKAGES="$PACKAGES nodejs"
command -v npm >/dev/null 2>&1 || PACKAGES="$PACKAGES npm"

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	     grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done

# The test oracle's npm packages (cron-parser), pinned by package-lock.json,
# installed into tests/oracle/node_modules when missing or out of date.
oracle_deps() {
	dir=tests/oracle
	[ -f "$dir/package-lock.json" ] || return 0
	want=$(node -p "require('./$dir/package-lock.json').packages['node_modules/cron-parser'].version")
	got=$(node -p "require('./$dir/node_modules/cron-parser/package.json').version" 2>/dev/null || true)
	[ "$want" = "$got" ] && return 0
	echo "deps: installing the test oracle's npm packages ($dir)"
	npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error
}

if [ -z "$missing" ]; then
	echo "deps: all $(echo $PACKAGES | wc -w) packages are installed"
	oracle_deps
	exit 0
fi

echo "deps: installing:$missing"
if [ "$(id -u)" -eq 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1; then
	SUDO="sudo"
else
	echo "deps: need root to install:$missing (run 'make deps' as root)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
oracle_deps
