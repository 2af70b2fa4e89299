#!/usr/bin/env bash
# bench/docker-prune.sh - upkeep's docker-prune step against `podman system
# prune -f` on the same population: 200 stopped containers, 100 dangling
# images and 50 unused networks (and one protected container, image and
# network each, which both must leave). Each side gets a fresh, identical
# population in a throwaway Podman store (tests/lib/servers.sh); the
# times are wall clock of the whole prune, and the ratio is the figure.
# After each side the survivors are counted with the podman CLI, so a
# faster side that removed less would show.
#
#   bench/docker-prune.sh [build/upkeep]     (BENCH_PRUNE_ROUNDS=1)
#
# upkeep talks to `podman system service` over its socket (the Docker
# API); `podman system prune` works on the store directly. That is the
# comparison a user of a Podman host would make.
set -uo pipefail
upkeep=$(realpath "${1:-build/upkeep}")
here=$(cd "$(dirname "$0")" && pwd)
rounds=${BENCH_PRUNE_ROUNDS:-1}
ncont=${BENCH_PRUNE_CONTAINERS:-200}
nimg=${BENCH_PRUNE_IMAGES:-100}
nnet=${BENCH_PRUNE_NETWORKS:-50}

# servers.sh speaks TAP; the benchmark prints its own lines.
# shellcheck source=../tests/lib/servers.sh
. "$here/../tests/lib/servers.sh"
exec {_tap_fd_out}>/dev/null
podman_start

cfg=$UPKEEP_TEST_TMP/cfg
mkdir -p "$cfg/schedules" "$cfg/jobs"
printf 'window: w\nstart: daily\nduration: 1h\n' >"$cfg/schedules/w.yaml"
printf '%s\n' 'job: prune' 'windows: [w]' 'steps:' \
	'  - { name: prune, kind: docker-prune, prune: [containers, images, networks] }' \
	>"$cfg/jobs/prune.yaml"

api() { curl -sf --max-time 60 --unix-socket "$PODMAN_SOCK" "$@"; }

populate() {
	local i d=$UPKEEP_TEST_TMP/img
	podman_cli rm -af >/dev/null 2>&1
	podman_cli rmi -af >/dev/null 2>&1
	podman_cli network prune -f >/dev/null 2>&1
	mkdir -p "$d"
	# nimg + 1 imports to one tag: the first nimg end up dangling.
	for i in $(seq 0 "$nimg"); do
		printf 'image %d\n' "$i" >"$d/hello"
		tar -C "$d" -cf "$d.tar" hello
		api -X POST -H 'Content-Type: application/x-tar' --data-binary "@$d.tar" \
			"http://d/v1.41/images/create?fromSrc=-&repo=localhost/bench/app&tag=latest" >/dev/null ||
			{ echo "bench: cannot import an image" >&2; exit 1; }
	done
	podman_cli import --quiet --change 'LABEL upkeep.keep=true' "$d.tar" localhost/bench/keep:1 >/dev/null
	podman_cli import --quiet "$d.tar" localhost/bench/keep:1 >/dev/null   # the keeper is now dangling too
	for i in $(seq 1 "$ncont"); do
		api -X POST -H 'Content-Type: application/json' \
			-d '{"Image": "localhost/bench/app:latest", "Cmd": ["/hello"]}' \
			"http://d/v1.41/containers/create?name=bench-$i" >/dev/null ||
			{ echo "bench: cannot create a container" >&2; exit 1; }
	done
	api -X POST -H 'Content-Type: application/json' \
		-d '{"Image": "localhost/bench/app:latest", "Cmd": ["/hello"], "Labels": {"upkeep.keep": "true"}}' \
		"http://d/v1.41/containers/create?name=bench-keep" >/dev/null
	for i in $(seq 1 "$nnet"); do
		api -X POST -H 'Content-Type: application/json' -d "{\"Name\": \"bench-net-$i\"}" \
			http://d/v1.41/networks/create >/dev/null
	done
	api -X POST -H 'Content-Type: application/json' \
		-d '{"Name": "bench-net-keep", "Labels": {"upkeep.keep": "true"}}' \
		http://d/v1.41/networks/create >/dev/null
}

# left: what a prune left, as "containers images networks".
left() {
	printf '%s %s %s' "$(podman_cli ps -aq | wc -l)" "$(podman_cli images -aq | wc -l)" \
		"$(podman_cli network ls -q | wc -l)"
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

u_total=0 p_total=0
for r in $(seq 1 "$rounds"); do
	populate
	start=$(now_ms)
	"$upkeep" --config "$cfg" run -q --ignore-window prune >"$UPKEEP_TEST_TMP/run.log" 2>&1 ||
		{ echo "bench: upkeep's prune failed:" >&2; cat "$UPKEEP_TEST_TMP/run.log" >&2; exit 1; }
	u_ms=$(($(now_ms) - start))
	u_left=$(left)

	populate
	start=$(now_ms)
	podman_cli system prune -f >/dev/null 2>&1 || { echo "bench: podman system prune failed" >&2; exit 1; }
	p_ms=$(($(now_ms) - start))
	p_left=$(left)
	u_total=$((u_total + u_ms)) p_total=$((p_total + p_ms))
	printf 'round %d: upkeep %d ms (left c/i/n: %s), podman system prune %d ms (left c/i/n: %s)\n' \
		"$r" "$u_ms" "$u_left" "$p_ms" "$p_left"
done

printf 'docker prune, %d stopped containers + %d dangling images + %d networks (%d round%s)\n' \
	"$ncont" "$nimg" "$nnet" "$rounds" "$([ "$rounds" -eq 1 ] || echo s)"
printf '  %-34s %7d ms\n' "upkeep run (docker-prune)" $((u_total / rounds))
printf '  %-34s %7d ms\n' "podman system prune -f" $((p_total / rounds))
awk -v u="$u_total" -v p="$p_total" 'BEGIN {
	if (u < 1) u = 1
	if (p >= u) printf "  ratio: upkeep is %.2fx faster\n", p / u
	else printf "  ratio: upkeep is %.2fx slower\n", u / p
}'
# podman system prune ignores the protect label: it says how much less it left.
done_testing
