#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# tests/integration/docker-prune.t - the docker-prune step against the real
# Podman Docker-API service (tests/lib/servers.sh podman_start).
#
# Objects are made with the podman CLI (images imported from tiny tarballs,
# dangling ones by re-importing a tag, stopped containers - this VM's crun
# cannot start any - labelled and protected objects, named and anonymous
# volumes, networks), then upkeep plans and runs, and what is left is read
# back with the podman CLI, never from upkeep's own word: the plan changes
# nothing, the plan's set is exactly the run's set is exactly what podman
# no longer has, the protect label survives every category, volumes only
# go when listed, `until` follows the (fixed) clock, the label filters,
# images: unused, the bytes match podman's sizes, and the error paths
# (missing socket, dead socket, a socket that never answers, garbage,
# permission denied).
set -uo pipefail
# shellcheck source=../lib/servers.sh
. "$(dirname "$0")/../lib/servers.sh"
# shellcheck source=../lib/upkeep.sh
. "$(dirname "$0")/../lib/upkeep.sh"
PY=$UPKEEP_PYTHON

podman_start

cfg=$tmp/cfg
mkdir -p "$cfg/schedules" "$cfg/jobs"
printf 'window: w\nstart: daily\nduration: 1h\n' >"$cfg/schedules/w.yaml"
U() { "$UPKEEP" --config "$cfg" "$@"; }
# job NAME STEP_KEYS: a job with one docker-prune step.
job() {
	printf 'job: %s\nwindows: [w]\nsteps:\n  - { name: prune, kind: docker-prune, %s }\n' \
		"$1" "$2" >"$cfg/jobs/$1.yaml"
}
# rec EXPR: EXPR of d, the details of the newest record's first step.
# (The newest file: `report latest` goes by start time, and --now moves it.)
rec() {
	local f
	f=$(ls -t "$cfg"/reports/runs/*/*.json | head -1)
	"$PY" -c 'import json, sys
r = json.load(sys.stdin); s = r["steps"][0]; d = s.get("details", {})
v = eval(sys.argv[1])
print(v if isinstance(v, str) else json.dumps(v, sort_keys=True))' "$1" <"$f"
}

# requests ARGS...: upkeep ARGS under strace; prints "METHOD PATH" of each
# request it sent to the engine, in order (status in $rc).
requests() {
	strace -f -qq -e trace=sendto,write -s 200 -o "$tmp/requests.strace" \
		"$UPKEEP" --config "$cfg" "$@" >"$tmp/requests.out" 2>&1
	rc=$?
	grep -oE '"(GET|POST|DELETE) /[^ ]*' "$tmp/requests.strace" | tr -d '"'
}

# state: every object podman has, one "KIND NAME" a line, sorted.
state() {
	{
		podman_cli ps -a --format 'container {{.Names}}'
		podman_cli images -a --no-trunc --format 'image {{.ID}} {{.Repository}}:{{.Tag}}'
		podman_cli network ls --format 'network {{.Name}}'
		podman_cli volume ls --format 'volume {{.Name}}'
	} | sed 's/sha256://' | sort
}

# tiny TAG CONTENT [IMPORT_OPTION...]: import a one-file image; prints its id.
tiny() {
	local tag=$1 content=$2 d
	shift 2
	d=$(mktemp -d "$UPKEEP_TEST_TMP/img.XXXXXX")
	printf '%s\n' "$content" >"$d/hello"
	tar -C "$d" -cf "$d.tar" hello
	podman_cli import --quiet --change 'CMD ["/hello"]' "$@" "$d.tar" "$tag" | sed 's/sha256://'
	rm -rf "$d" "$d.tar"
}

# populate: an empty store, then the fixture population.  Sets the ids
# of the images it makes.
populate() {
	podman_cli rm -af >/dev/null 2>&1
	podman_cli rmi -af >/dev/null 2>&1
	podman_cli volume rm -af >/dev/null 2>&1
	podman_cli network prune -f >/dev/null 2>&1
	# Dangling: a tag imported twice leaves the first image untagged.
	dang1=$(tiny localhost/t/app:1 "dangling one")
	dang2=$(tiny localhost/t/app:1 "dangling two, a little longer")
	app=$(tiny localhost/t/app:1 "the current app")
	# A protected image, then made dangling too.
	keepimg=$(tiny localhost/t/keep:1 "protected" --change 'LABEL upkeep.keep=true')
	tiny localhost/t/keep:1 "keep's successor" >/dev/null
	unused=$(tiny localhost/t/unused:1 "tagged, used by nobody")
	podman_cli network create n-used >/dev/null
	podman_cli network create n-plain >/dev/null
	podman_cli network create --label upkeep.keep=true n-keep >/dev/null
	podman_cli create --name c-plain -v /data localhost/t/app:1 >/dev/null
	podman_cli create --name c-batch --label tier=batch localhost/t/app:1 >/dev/null
	podman_cli volume create v-used >/dev/null
	podman_cli create --name c-keep --label upkeep.keep=true --network n-used -v v-used:/data localhost/t/app:1 >/dev/null
	podman_cli volume create v-named >/dev/null
	podman_cli volume create --label upkeep.keep=true v-keep >/dev/null
	anon=$(podman_cli inspect c-plain --format '{{range .Mounts}}{{.Name}}{{end}}')
}

populate
like "$anon" '^[0-9a-f]{64}$' "fixture: c-plain has an anonymous volume"
is "$(podman_cli images -a --filter dangling=true --format '{{.ID}}' | wc -l)" 3 "fixture: three dangling images"

# ---- the default categories: plan, then run --------------------------------
job d 'prune: [containers, images, networks]'
before=$(state)
run U plan d --ignore-window
is "$rc" 0 "plan exits 0" || diag "$out$err"
is "$(state)" "$before" "the plan removed nothing (podman before = after)"
like "$out" "engine: Podman [0-9.]+ \\(API 1\\.[0-9]+\\) at unix://$PODMAN_SOCK" "the plan names the engine, API version and socket"
like "$out" "volumes: not pruned \\(not in 'prune'\\); volumes hold data" "the plan says volumes are not pruned"
like "$out" "containers: 2 would be removed" "plan: two stopped containers"
like "$out" "\\(1 kept by the protect label 'upkeep.keep=true'\\)" "plan: says what the protect label kept"
plan_items=$(grep -E '^ +- ' <<<"$out" | sed -E 's/^ +- //; s/ \(.*//; s/,.*//' | sort)
reqs=$(requests plan d --ignore-window)
is "$(grep -c -v '^GET ' <<<"$reqs")" 0 "the plan sends GETs only" || diag "$reqs"
is "$(grep -c '^GET /version' <<<"$reqs")" 0 \
	"the API version is pinned from /_ping's headers: no GET /version (Podman takes ~1 s for it)"

run U run --ignore-window d
is "$rc" 0 "run exits 0" || diag "$out$err"
after=$(state)
gone=$(comm -23 <(echo "$before") <(echo "$after"))
is "$(grep -c . <<<"$gone")" 5 "podman lost exactly five objects" || diag "$gone"
is "$(grep '^container' <<<"$gone" | sort | tr '\n' ' ')" "container c-batch container c-plain " "stopped containers went"
is "$(grep '^image' <<<"$gone" | awk '{print $2}' | sort | tr '\n' ' ')" \
	"$(printf '%s\n' "$dang1" "$dang2" | sort | tr '\n' ' ')" "the two unprotected dangling images went"
is "$(grep '^network' <<<"$gone")" "network n-plain" "the unused network went"
like "$after" "container c-keep" "the protected container stayed"
like "$after" "image $keepimg <none>:<none>" "the protected dangling image stayed"
like "$after" "network n-keep" "the protected network stayed"
like "$after" "network n-used" "the network a remaining container uses stayed"
like "$after" "image $unused localhost/t/unused:1" "tagged unused images stay with images: dangling"
is "$(grep -c '^volume' <<<"$after")" 4 "no volume went: they were not listed"

run_items=$(rec '"\n".join(sorted(o["name"] for c in d["categories"].values() for o in c.get("removed", [])))')
is "$run_items" "$(sed -E "s/^<none> ([0-9a-f]{12})\$/<none> \\1/" <<<"$plan_items")" \
	"the plan listed exactly what the run removed"
is "$(rec '[d["categories"][c]["count"] for c in ("containers", "images", "networks")]')" "[2, 2, 1]" \
	"the record counts per category"
is "$(rec 'sorted(o["id"].replace("sha256:", "") for o in d["categories"]["images"]["removed"])')" \
	"$("$PY" -c 'import json, sys; print(json.dumps(sorted(sys.argv[1:])))' "$dang1" "$dang2")" \
	"the record has the removed images' ids"
is "$(rec 's["summary"]')" \
	"$(rec 's["summary"]' | grep -E '^removed 2 containers, 2 images, 1 network, ')" "the summary counts"
like "$(rec 's["summary"]')" "Podman [0-9.]+, API 1\\.[0-9]+$" "the summary names the engine and API"
is "$(rec 'd["engine"].split()[0] + " " + d["api_version"]')" \
	"Podman $(curl -s --unix-socket "$PODMAN_SOCK" http://d/version | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["ApiVersion"])')" \
	"the record's engine and API version are /version's"

# Bytes: podman's own image sizes of what went, and /system/df before/after.
populate
want=$(podman_cli image inspect "$dang1" "$dang2" --format '{{.Size}}' | awk '{s += $1} END {print s}')
run U run --ignore-window d
is "$(rec 'd["categories"]["images"]["bytes"]')" "$want" "image bytes = podman image inspect's sizes ($want)"
is "$(rec 'd["categories"]["images"]["df_bytes"]')" "$want" "and the /system/df cross-check agrees"
is "$(rec 'str(d["bytes"] >= d["categories"]["images"]["bytes"])')" "True" "the total includes them"
cmp_ok "$(rec 'd["df_before"]["images"] - d["df_after"]["images"]')" -eq "$want" "df_before - df_after = the bytes removed"

# ---- many at once ------------------------------------------------------------
# Removals go several at a time, and the networks no container uses from
# the start: the record still lists them in the plan's order, and a
# network that only a removed container used goes after it (before, the
# engine would refuse it as in use).
populate
for i in 1 2 3 4 5 6 7 8; do
	podman_cli create --name "c-many-$i" localhost/t/app:1 >/dev/null
done
podman_cli network create n-gone >/dev/null
podman_cli create --name c-gone --network n-gone localhost/t/app:1 >/dev/null
for i in 1 2 3; do podman_cli network create "n-free-$i" >/dev/null; done
job m 'prune: [containers, images, networks]'
run U plan m --ignore-window
plan_order=$(sed -n '/^ *containers: /,/^ *images/p' <<<"$out" | grep -E '^ +- ' | sed -E 's/^ +- //; s/ \(.*//')
is "$(grep -c . <<<"$plan_order")" 11 "plan: eleven stopped containers" || diag "$out"
reqs=$(requests run --ignore-window m)
is "$rc" 0 "many at once: run exits 0" || diag "$(cat "$tmp/requests.out")"
is "$(rec '"\n".join(o["name"] for o in d["categories"]["containers"]["removed"])')" "$plan_order" \
	"the record lists the removed containers in the plan's order"
is "$(rec '[d["categories"][c]["kept"] + d["categories"][c]["failed"] for c in ("containers", "images", "networks")]')" \
	"[[], [], []]" "nothing kept or failed: no removal got in another's way"
is "$(podman_cli ps -a --format '{{.Names}}')" "c-keep" "every stopped container went (podman)"
is "$(podman_cli network ls --format '{{.Name}}' | sort | tr '\n' ' ')" "n-keep n-used podman " \
	"n-gone went after c-gone, and the free ones went (podman)"
is "$(grep -n "DELETE .*/networks/" <<<"$reqs" | grep -c .)" 5 "five network DELETEs" || diag "$reqs"
# The containers go in descending id order (Podman's network removal
# looks at every container in ascending order, waiting on each one being
# removed: ascending removals held it up for all of them).  Three go at
# once, so an id may be sent up to two places early or late.
is "$(grep -oE 'DELETE /v[0-9.]+/containers/[0-9a-f]+' <<<"$reqs" | sed 's#.*/##' | "$PY" -c 'import sys
sent = sys.stdin.read().split(); want = sorted(sent, reverse=True)
print(max(abs(i - want.index(c)) for i, c in enumerate(sent)) <= 2, len(sent))')" "True 11" \
	"the container DELETEs were sent in descending id order" || diag "$reqs"
# n-gone's DELETE came after c-gone's: the request order strace saw.
gone_id=$(rec '[o["id"] for o in d["categories"]["containers"]["removed"] if o["name"] == "c-gone"][0]')
netgone_id=$(rec '[o["id"] for o in d["categories"]["networks"]["removed"] if o["name"] == "n-gone"][0]')
cmp_ok "$(grep -n "DELETE .*/networks/$netgone_id" <<<"$reqs" | cut -d: -f1)" -gt \
	"$(grep -n "DELETE .*/containers/$gone_id" <<<"$reqs" | cut -d: -f1)" \
	"the network a removed container used was asked after that container's removal"

# ---- volumes: only when listed; anonymous by default ----------------------
populate
job v 'prune: [containers, volumes]'
run U plan v
like "$out" "volumes: 1 would be removed" "plan: one anonymous volume" || diag "$out"
like "$out" "  - $anon, " "plan names it"
run U run --ignore-window v
is "$rc" 0 "volumes run exits 0" || diag "$out$err"
is "$(podman_cli volume ls --format '{{.Name}}' | sort | tr '\n' ' ')" "v-keep v-named v-used " \
	"volumes: anonymous removes the anonymous volume only (named and protected stay)"
is "$(rec '[o["name"] for o in d["categories"]["volumes"]["removed"]]')" "[\"$anon\"]" "the record names the volume that went"

job va 'prune: [volumes], volumes: all'
run U plan va
unlike "$out" "  - v-used," "the plan leaves the volume a remaining container mounts"
run U run --ignore-window va
is "$(podman_cli volume ls --format '{{.Name}}' | sort | tr '\n' ' ')" "v-keep v-used " \
	"volumes: all removes named volumes too, never the protected or a mounted one"
is "$(rec 'd["categories"]["volumes"]["kept"]')" "[]" "upkeep did not try the mounted one (nothing kept by a 409)"

# ---- images: unused --------------------------------------------------------
populate
job u 'prune: [images], images: unused'
run U run --ignore-window u
left=$(podman_cli images -a --no-trunc --format '{{.ID}}' | sed 's/sha256://' | sort)
unlike "$left" "$unused" "images: unused removes tagged images no container uses"
like "$left" "$app" "an image stopped containers use stays"
like "$left" "$keepimg" "the protected image stays"
is "$(podman_cli images --format '{{.Repository}}:{{.Tag}}' | sort | tr '\n' ' ')" \
	"<none>:<none> localhost/t/app:1 " "only the app image (used by containers) and the protected one are left"

# ---- label filters ---------------------------------------------------------
populate
job l 'prune: [containers], labels: [tier=batch]'
run U run --ignore-window l
is "$(podman_cli ps -a --format '{{.Names}}' | sort | tr '\n' ' ')" "c-keep c-plain " \
	"labels: only objects with the label go"
populate
job x 'prune: [containers], exclude_labels: [tier]'
run U run --ignore-window x
is "$(podman_cli ps -a --format '{{.Names}}' | sort | tr '\n' ' ')" "c-batch c-keep " \
	"exclude_labels: objects with the label stay"
populate
job p 'prune: [containers, networks], protect_label: tier=batch, exclude_labels: [nothing-has-this]'
run U run --ignore-window p
is "$(podman_cli ps -a --format '{{.Names}}' | sort | tr '\n' ' ')" "c-batch " \
	"a custom protect label holds alongside exclude_labels (upkeep.keep is then just a label)"

# ---- until, against a fixed clock -----------------------------------------
populate
job t 'prune: [containers, images, networks], until: 1d'
before=$(state)
run U --now "$(date -u -d '+2 hours' '+%Y-%m-%d %H:%M')" run --ignore-window t
is "$rc" 0 "until: run exits 0" || diag "$out$err"
is "$(state)" "$before" "until 1d: nothing created in the last day goes"
like "$(rec 'd["filters"]["created_before"]')" "^$(date -u -d '-22 hours' '+%Y-%m-%dT%H'):" \
	"the record says the cutoff (clock - until)"
run U --now "$(date -u -d '+2 days' '+%Y-%m-%d %H:%M')" run --ignore-window t
is "$(podman_cli ps -a --format '{{.Names}}')" "c-keep" "two days later the same objects are old enough"

# ---- errors ------------------------------------------------------------------
job e 'prune: [containers], socket: '"$UPKEEP_TEST_TMP/none.sock"
run U run --ignore-window e
is "$rc" 1 "a missing socket fails the run"
like "$(rec 's["summary"]')" "no Docker engine socket at '$UPKEEP_TEST_TMP/none.sock': start the engine" \
	"and says what to do"

# A socket file nobody listens on.
"$PY" -c 'import socket, sys; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$UPKEEP_TEST_TMP/dead.sock"
job e 'prune: [containers], socket: '"$UPKEEP_TEST_TMP/dead.sock"
run U run --ignore-window e
like "$(rec 's["status"] + ": " + s["summary"]')" \
	"^failed: GET /_ping: nothing listens on '$UPKEEP_TEST_TMP/dead.sock' \\(connection refused\\)" \
	"a dead socket: connection refused, named"

# A socket that accepts and never answers: the step's timeout ends it.
"$PY" - "$UPKEEP_TEST_TMP/hung.sock" >/dev/null 2>&1 <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(8)
held = []
while True:
    c, _ = s.accept(); held.append(c)
PY
hung=$!
for _ in $(seq 50); do [ -S "$UPKEEP_TEST_TMP/hung.sock" ] && break; sleep 0.1; done
job e 'prune: [containers], timeout: 2s, socket: '"$UPKEEP_TEST_TMP/hung.sock"
start=$(date +%s%N)
run U run --ignore-window e
ms=$((($(date +%s%N) - start) / 1000000))
like "$(rec 's["status"] + ": " + s["summary"]')" \
	"^timed-out: GET /_ping: no answer from unix://$UPKEEP_TEST_TMP/hung.sock within the time allowed \\(2s\\)" \
	"a hung engine: the step times out, naming the endpoint"
cmp_ok "$ms" -lt 10000 "within its 2s timeout (took $ms ms; generous bound)"
kill "$hung" 2>/dev/null
wait "$hung" 2>/dev/null

# An engine that answers garbage.
"$PY" - "$UPKEEP_TEST_TMP/junk.sock" >/dev/null 2>&1 <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(8)
while True:
    c, _ = s.accept()
    req = c.recv(65536).decode(errors="replace")
    body = b"OK" if req.startswith("GET /_ping") else b"{\"ApiVersion\": \"1.41\", oops"
    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body))
    c.close()
PY
junk=$!
for _ in $(seq 50); do [ -S "$UPKEEP_TEST_TMP/junk.sock" ] && break; sleep 0.1; done
job e 'prune: [containers], socket: '"$UPKEEP_TEST_TMP/junk.sock"
run U run --ignore-window e
like "$(rec 's["status"] + ": " + s["summary"]')" \
	"^failed: GET /version: the engine's answer is not JSON" "garbage JSON: named endpoint, no crash"
kill "$junk" 2>/dev/null
wait "$junk" 2>/dev/null

# Permission denied: the socket is root's only, upkeep runs as nobody.
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1 && command -v runuser >/dev/null; then
	mkdir -p "$UPKEEP_TEST_TMP/priv"
	chmod 0755 "$UPKEEP_TEST_TMP/priv"
	"$PY" -c 'import os, socket, sys; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o600)' "$UPKEEP_TEST_TMP/priv/docker.sock"
	job e 'prune: [containers], socket: '"$UPKEEP_TEST_TMP/priv/docker.sock"
	chmod 0711 "$tmp"
	chmod -R a+rX "$cfg"
	out=$(runuser -u nobody -- "$UPKEEP" --config "$cfg" plan e 2>&1)
	like "$out" "cannot tell: GET /_ping: permission denied on '$UPKEEP_TEST_TMP/priv/docker.sock': run upkeep as root or as a user in the socket's group" \
		"permission denied: says who may use the socket"
else
	skip "permission denied" "needs root and the user nobody"
fi

# ---- a scripted Docker Engine (the HTTP fixture over tcp://) ---------------
# Docker's shapes, which Podman does not give: API 1.45, anonymous volumes
# by label, build cache, a removal that fails half-way, a prune already
# running (409) until the step's time runs out.
http_start
fake=tcp://${HTTP_FIXTURE#http://}
http_set /version 200 '{"ApiVersion": "1.47", "MinAPIVersion": "1.24", "Version": "27.3.1", "Components": [{"Name": "Engine", "Version": "27.3.1"}]}'
http_set /v1.45/system/df 200 '{"LayersSize": 5000, "Images": [], "Containers": [{"Id": "aaa", "SizeRw": 100}, {"Id": "bbb", "SizeRw": 200}], "Volumes": [{"Name": "anon1", "UsageData": {"Size": 4096, "RefCount": 0}}, {"Name": "data", "UsageData": {"Size": 8192, "RefCount": 0}}], "BuildCache": [{"ID": "bc1", "Size": 700, "InUse": false, "LastUsedAt": "2020-01-01T00:00:00Z"}, {"ID": "bc2", "Size": 900, "InUse": true}], "BuilderSize": 1600}'
http_set /v1.45/containers/json 200 '[{"Id": "aaa", "Names": ["/one"], "State": "exited", "Created": 1600000000, "ImageID": "sha256:i1", "Labels": {}}, {"Id": "bbb", "Names": ["/two"], "State": "exited", "Created": 1600000000, "ImageID": "sha256:i1", "Labels": {}}, {"Id": "ccc", "Names": ["/web"], "State": "running", "Created": 1600000000, "ImageID": "sha256:i1", "Labels": {}}]'
http_set /v1.45/images/json 200 '[]'
http_set /v1.45/networks 200 '[]'
http_set /v1.45/volumes 200 '{"Volumes": [{"Name": "anon1", "CreatedAt": "2020-01-01T00:00:00Z", "Labels": {"com.docker.volume.anonymous": ""}}, {"Name": "data", "CreatedAt": "2020-01-01T00:00:00Z", "Labels": {}}]}'
http_set /v1.45/containers/aaa 204 ''
http_set /v1.45/containers/bbb 500 '{"message": "driver failed removing the layer"}'
http_set /v1.45/volumes/anon1 204 ''
http_set /v1.45/build/prune 200 '{"CachesDeleted": ["bc1"], "SpaceReclaimed": 700}'
job k 'prune: [containers, volumes, build-cache], until: 1d'
run env DOCKER_HOST="$fake" "$UPKEEP" --config "$cfg" plan k
like "$out" "engine: Docker Engine 27\.3\.1 \(API 1\.45\) at $fake" "Docker: API pinned at 1.45"
like "$out" "volumes: 1 would be removed, 4.0 KiB" "Docker API 1.45: only the volume labelled anonymous"
like "$out" "build-cache: 1 would be removed, 700 B" "build cache: unused records older than until"
run env DOCKER_HOST="$fake" "$UPKEEP" --config "$cfg" run --ignore-window k
is "$rc" 1 "a removal that fails fails the run"
like "$(rec 's["status"] + ": " + s["summary"]')" \
	"^failed: removed 1 container, 1 volume, 1 build cache record \\(4\\.8 KiB\\), but 1 removal failed: DELETE /v1\\.45/containers/bbb: HTTP 500: driver failed removing the layer$" \
	"the summary says what went and what failed"
is "$(rec '[(o["name"], o["error"]) for o in d["categories"]["containers"]["failed"]]')" \
	'[["two", "DELETE /v1.45/containers/bbb: HTTP 500: driver failed removing the layer"]]' "the record lists the failure"
is "$(rec 'd["categories"]["build-cache"]["bytes"], d["categories"]["build-cache"]["removed"][0]["id"]')" \
	"[700, \"bc1\"]" "build cache: the engine's SpaceReclaimed and ids"
reqs=$(http_requests | "$PY" -c 'import json, sys; print("\n".join(r["method"] + " " + r["path"] for r in json.load(sys.stdin) if r["method"] != "GET"))')
is "$(grep -c . <<<"$reqs")" 4 "four changes sent (DELETE aaa, bbb, anon1; POST /build/prune)" || diag "$reqs"
unlike "$reqs" "force|containers/ccc|volumes/data" "no force, not the running container, not the named volume"
like "$reqs" "POST /v1\\.45/build/prune\\?all=1&filters=%7B%22until%22%3A%5B%22[0-9]+%22%5D%7D" \
	"build cache pruned with until as a Unix time"

# 409 "a prune operation is already running": retried until the time runs out.
http_reset
http_set /version 200 '{"ApiVersion": "1.41", "Version": "20.10.24", "Components": [{"Name": "Engine"}]}'
http_set /v1.41/system/df 200 '{"BuildCache": [], "Containers": [], "Images": [], "Volumes": []}'
http_set /v1.41/containers/json 200 '[]'
http_set /v1.41/volumes 200 '{"Volumes": [{"Name": "data", "Labels": null}]}'
http_set /v1.41/build/prune 409 '{"message": "a prune operation is already running"}'
job b 'prune: [build-cache], timeout: 2s'
run env DOCKER_HOST="$fake" "$UPKEEP" --config "$cfg" run --ignore-window b
like "$(rec 's["status"] + ": " + s["summary"]')" "^timed-out: stopped after removing nothing \\(0 B\\): POST /v1\\.41/build/prune" \
	"409 retried until the step's time ran out: timed-out"
cmp_ok "$(http_requests | "$PY" -c 'import json, sys; print(sum(r["method"] == "POST" for r in json.load(sys.stdin)))')" -ge 3 \
	"it was retried (with backoff)"
job o 'prune: [volumes]'
run env DOCKER_HOST="$fake" "$UPKEEP" --config "$cfg" plan o
like "$out" "Docker Engine 20\\.10\\.24 \\(API 1\\.41\\) cannot tell anonymous volumes from named ones \\(Docker API 1\\.42 can\\): set 'volumes: all'" \
	"an engine older than API 1.42 cannot do volumes: anonymous, and says what to do"

# Networks no container uses go from the start, beside the containers; a
# network a removed container used waits for that container's DELETE to
# be answered (a 2 s answer here).
http_reset
http_set /version 200 '{"ApiVersion": "1.41", "Version": "20.10.24", "Components": [{"Name": "Engine"}]}'
http_set /v1.41/system/df 200 '{"Containers": [], "Images": [], "Volumes": [], "BuildCache": []}'
http_set /v1.41/containers/json 200 '[{"Id": "c1", "Names": ["/slow"], "State": "exited", "Created": 1600000000, "ImageID": "sha256:i1", "Labels": {}, "NetworkSettings": {"Networks": {"n-gone": {"NetworkID": "ng"}}}}]'
http_set /v1.41/networks 200 '[{"Id": "ng", "Name": "n-gone", "Scope": "local", "Created": "2020-01-01T00:00:00Z", "Labels": {}}, {"Id": "nf", "Name": "n-free", "Scope": "local", "Created": "2020-01-01T00:00:00Z", "Labels": {}}]'
http_set /v1.41/containers/c1 204 '' 2
http_set /v1.41/networks/ng 204 ''
http_set /v1.41/networks/nf 204 ''
job w 'prune: [containers, networks]'
run env DOCKER_HOST="$fake" "$UPKEEP" --config "$cfg" run --ignore-window w
is "$(rec 's["status"] + ": " + s["summary"]')" \
	"ok: removed 1 container, 2 networks, 0 B (/system/df: 0 B freed); Docker Engine 20.10.24, API 1.41" \
	"a container and both networks went" || diag "$out$err"
at() { http_requests | "$PY" -c 'import json, sys
print([r["time"] for r in json.load(sys.stdin) if r["method"] == "DELETE" and r["path"].endswith(sys.argv[1])][0])' "$1"; }
t_c1=$(at /containers/c1) t_ng=$(at /networks/ng) t_nf=$(at /networks/nf)
cmp_ok "$(awk -v a="$t_c1" -v b="$t_ng" 'BEGIN { print int((b - a) * 1000) }')" -ge 1900 \
	"the network the removed container used was asked after its removal was answered"
cmp_ok "$(awk -v a="$t_c1" -v b="$t_nf" 'BEGIN { print int((b - a) * 1000) }')" -lt 1500 \
	"the network no container used did not wait for it"

# DOCKER_HOST is used when there is no socket: setting.
job h 'prune: [containers]'
run env DOCKER_HOST="unix://$UPKEEP_TEST_TMP/none.sock" "$UPKEEP" --config "$cfg" plan h
like "$out" "no Docker engine socket at '$UPKEEP_TEST_TMP/none.sock'" "DOCKER_HOST names the socket"
run env DOCKER_HOST="ssh://host" "$UPKEEP" --config "$cfg" plan h
like "$out" "DOCKER_HOST 'ssh://host' is not supported" "an unsupported DOCKER_HOST is refused, clearly"

done_testing
