#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# tests/integration/patch-check.t - the patch-check step against the real
# OCI registry (docker-registry), the real Podman Docker-API service, the
# HTTP fixture playing registries and a token server, PostgreSQL, and apt:
# this machine's real apt (shape only) and fake apt tools on PATH that
# print the Ubuntu 24.04 fixtures of tests/unit/fixtures/patch-check/.
#
# Digests are read independently: the registry's with curl (HEAD with the
# same Accept list), the local ones with `podman image inspect`; what the
# token flow sent is read from the HTTP fixture's request log. The plan
# contacts no registry (the registry's and the fixture's logs) and changes
# nothing (podman's images before and after).
set -uo pipefail
# shellcheck source=../lib/servers.sh
. "$(dirname "$0")/../lib/servers.sh"
# shellcheck source=../lib/upkeep.sh
. "$(dirname "$0")/../lib/upkeep.sh"
PY=$UPKEEP_PYTHON
FIX=$repo/tests/unit/fixtures/patch-check

podman_start
registry_start
http_start
pg_start

cfg=$tmp/cfg
mkdir -p "$cfg/schedules" "$cfg/jobs"
printf 'window: w\nstart: daily\nduration: 1h\n' >"$cfg/schedules/w.yaml"
U() { "$UPKEEP" --config "$cfg" "$@"; }
# job NAME STEP_KEYS: a job with one patch-check step.
job() {
	printf 'job: %s\nwindows: [w]\nsteps:\n  - { name: patches, kind: patch-check, timeout: 2m, %s }\n' \
		"$1" "$2" >"$cfg/jobs/$1.yaml"
}
# rec EXPR: EXPR of d, the details of the newest record's first step (s).
rec() {
	local f
	f=$(ls -t "$cfg"/reports/runs/*/*.json | head -1)
	"$PY" -c 'import json, sys
r = json.load(sys.stdin); s = r["steps"][0]; d = s.get("details", {})
F = d.get("findings", [])
v = eval(sys.argv[1])
print(v if isinstance(v, str) else json.dumps(v, sort_keys=True))' "$1" <"$f"
}
newest() { ls -t "$cfg"/reports/runs/*/*."$1" | head -1; }

ACCEPT='Accept: application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json'
# regdigest REPO TAG: the registry's digest for the tag, by curl.
regdigest() {
	curl -fsSI -H "$ACCEPT" "http://$REGISTRY/v2/$1/manifests/$2" | tr -d '\r' |
		sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p'
}
# localdigests IMAGE: podman's repo digests of IMAGE, one a line.
localdigests() {
	podman_cli image inspect --format '{{range .RepoDigests}}{{println .}}{{end}}' "$1" |
		sed -n 's/^.*@//p'
}
# tiny TAG CONTENT: import a one-file image.
tiny() {
	local d
	d=$(mktemp -d "$UPKEEP_TEST_TMP/img.XXXXXX")
	printf '%s\n' "$2" >"$d/hello"
	tar -C "$d" -cf "$d.tar" hello
	podman_cli import --quiet --change 'CMD ["/hello"]' "$d.tar" "$1" >/dev/null
	rm -rf "$d" "$d.tar"
}
push() { podman_cli push --quiet --tls-verify=false "$1" "docker://$REGISTRY/$2" >/dev/null 2>&1; }

# ---- images against the real registry and Podman ---------------------------

tiny localhost/src/app:1 "app one"
tiny localhost/src/same:1 "same forever"
ok "push test/app:1 to the registry" push localhost/src/app:1 test/app:1
ok "push test/same:1" push localhost/src/same:1 test/same:1
ok "pull test/app:1 back" podman_cli pull --quiet --tls-verify=false "$REGISTRY/test/app:1"
ok "pull test/same:1 back" podman_cli pull --quiet --tls-verify=false "$REGISTRY/test/same:1"
ok "a container of test/app:1" podman_cli create --name c-app "$REGISTRY/test/app:1"
ok "a container of test/same:1" podman_cli create --name c-same "$REGISTRY/test/same:1"
app_id=$(podman_cli image inspect --format '{{.Id}}' "$REGISTRY/test/app:1")
old_app=$(regdigest test/app 1)
same=$(regdigest test/same 1)
like "$old_app" '^sha256:[0-9a-f]{64}$' "curl reads the registry's digest of test/app:1"
like "$(localdigests "$app_id")" "$old_app" "podman recorded that digest for the pulled image"
# A different image under the same tag, pushed from another local name so
# the local test/app:1 stays the old one.
tiny localhost/src/app:2 "app two, changed"
ok "push a changed image as test/app:1" push localhost/src/app:2 test/app:1
new_app=$(regdigest test/app 1)
like "$new_app" '^sha256:[0-9a-f]{64}$' "the new digest"
isnt "$new_app" "$old_app" "the registry's digest for test/app:1 moved"

job img "apt: false, images: [running, \"$REGISTRY/test/missing:1\"], insecure_registries: [\"$REGISTRY\"]"
before=$(podman_cli images --no-trunc --format '{{.ID}} {{.Repository}}:{{.Tag}} {{.Digest}}' | sort)
reglog_before=$(grep -c 'manifests' "$UPKEEP_TEST_TMP/registry/registry.log")
run U plan img --ignore-window
is "$rc" 0 "plan: exit 0"
like "$out" "registry $REGISTRY would be contacted at http://$REGISTRY \\(HEAD/GET only; credentials: none\\)" \
	"plan: names the registry it would contact, over plain HTTP"
like "$out" "image $REGISTRY/test/app:1: compare the local repo digest" "plan: lists the image of container c-app"
like "$out" "image $REGISTRY/test/missing:1: compare" "plan: lists the configured image"
is "$(grep -c 'manifests' "$UPKEEP_TEST_TMP/registry/registry.log")" "$reglog_before" \
	"plan: the registry got no manifest request"
is "$(podman_cli images --no-trunc --format '{{.ID}} {{.Repository}}:{{.Tag}} {{.Digest}}' | sort)" "$before" \
	"plan: podman's images are unchanged"

run U run img --ignore-window
is "$rc" 0 "run: exit 0 (fail_on: never)"
is "$(rec 's["status"]')" ok "run: the step is ok"
mapfile -t app_local < <(localdigests "$app_id")
local_said=$(rec '[x["local_digests"] for x in d["images"] if x["image"].endswith("/test/app:1")][0][0]')
like " ${app_local[*]} " " $local_said " \
	"the local digest reported is one podman has for the container's image"
is "$(rec '[f["text"] for f in F if f["severity"] == "update"]')" \
	"[\"update available: $REGISTRY/test/app:1 local $local_said \\u2192 registry $new_app\"]" \
	"exactly one update finding: test/app:1 with both digests"
is "$(rec '[x["registry_digest"] for x in d["images"] if x["image"].endswith("/test/app:1")][0]')" "$new_app" \
	"details: the registry digest of test/app:1 is curl's"
is "$(rec '[x.get("update_available") for x in d["images"] if x["image"].endswith("/test/app:1")][0]')" true \
	"details: update_available (what the weekly report reads)"
is "$(rec '[x["containers"] for x in d["images"] if x["image"].endswith("/test/app:1")][0]')" '["c-app"]' \
	"details: the container using it"
is "$(rec '[(x["status"], x["registry_digest"]) for x in d["images"] if x["image"].endswith("/test/same:1")][0]')" \
	"[\"current\", \"$same\"]" "unchanged test/same:1: current, the registry's digest"
is "$(rec '[f for f in F if "same" in f["text"]]')" "[]" "unchanged tag: no finding"
is "$(rec '[(f["severity"], f["source"]) for f in F if "test/missing" in f["text"]]')" '[["info", "registry"]]' \
	"missing tag: one info finding"
like "$(rec '[f["text"] for f in F if "test/missing" in f["text"]][0]')" \
	"has no tag '1' in repository 'test/missing' \\(HTTP 404\\)" "missing tag: says 404 and names the tag"
is "$(rec '[x["http_status"] for x in d["images"] if "missing" in x["image"]][0]')" 404 "details: http_status 404"
like "$(rec 's["summary"]')" '^2 findings: 0 security, 1 update, 1 info$' "summary counts by severity"
like "$(cat "$(newest md)")" "\\| update \\| images \\| update available: $REGISTRY/test/app:1 " \
	"the run report lists the findings (once, in its table)"

run U report --week "$(date -u +%G-W%V)"
like "$out" "image-updates.*$REGISTRY/test/app:1" "the weekly report recommends the image update"

job imgf "apt: false, images: [\"$REGISTRY/test/app:1\"], insecure_registries: [\"$REGISTRY\"], fail_on: update"
run U run imgf --ignore-window
is "$rc" 1 "fail_on: update and an update: the run fails"
is "$(rec 's["status"]')" failed "the step failed"
like "$(rec 's["summary"]')" 'fails on update' "the summary says why"
like "$(rec '[f["text"] for f in F][0]')" "update available: $REGISTRY/test/app:1 local sha256:[0-9a-f]{64} → registry $new_app" \
	"a listed (not running) image is compared by its local name"
job imgs "apt: false, images: [\"$REGISTRY/test/app:1\"], insecure_registries: [\"$REGISTRY\"], fail_on: security"
run U run imgs --ignore-window
is "$rc" 0 "fail_on: security and only an update: the run succeeds"

# Not on the local engine: compared with nothing, said so.
job imgn "apt: false, images: [\"$REGISTRY/test/same:1\"], insecure_registries: [\"$REGISTRY\"]"
ok "remove the local test/same:1" podman_cli rm -f c-same
ok "and its image" podman_cli rmi -f "$REGISTRY/test/same:1"
run U run imgn --ignore-window
is "$(rec '[(f["severity"], f["text"]) for f in F]')" \
	"[[\"info\", \"$REGISTRY/test/same:1: cannot compare with registry $same: not present on unix://$PODMAN_SOCK\"]]" \
	"an image not on the engine: info, with the registry's digest"

# No engine: the registry is still asked, and the finding says why there
# is nothing to compare with.
job noeng "apt: false, images: [running, \"$REGISTRY/test/app:1\"], insecure_registries: [\"$REGISTRY\"], socket: $tmp/none.sock"
run U run noeng --ignore-window
is "$rc" 0 "engine unreachable: exit 0"
like "$(rec '[f["text"] for f in F if f["source"] == "docker"][0]')" "no Docker engine socket at '$tmp/none.sock'" \
	"engine unreachable: an info finding naming the socket"
is "$(rec '[(f["severity"], f["text"]) for f in F if f["source"] == "images"]')" \
	"[[\"info\", \"$REGISTRY/test/app:1: cannot compare with registry $new_app: the engine could not be asked (see the docker finding)\"]]" \
	"engine unreachable: the image is compared with nothing, and says why"

# ---- a registry that is down, hangs, or answers nonsense -------------------

dead=127.0.0.1:$(free_port)
H=${HTTP_FIXTURE#http://}
http_route "{\"path\": \"/v2/slow/app/manifests/1\", \"delay\": 5}"
http_route "{\"path\": \"/v2/bad/app/manifests/1\", \"headers\": {\"Docker-Content-Digest\": \"sha256:nothex\", \"Content-Type\": \"application/vnd.oci.image.manifest.v1+json\"}}"
http_route "{\"path\": \"/v2/html/app/manifests/1\", \"body\": \"<html>hi</html>\", \"headers\": {\"Content-Type\": \"text/html\"}}"
manifest='{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}'
http_route "$("$PY" -c 'import json, sys; print(json.dumps({"path": "/v2/nodigest/app/manifests/1", "body": sys.argv[1], "headers": {"Content-Type": "application/vnd.oci.image.manifest.v1+json"}}))' "$manifest")"
job errs "apt: false, images: [\"$dead/x/app:1\", \"$H/slow/app:1\", \"$H/bad/app:1\", \"$H/html/app:1\", \"$H/nodigest/app:1\"], insecure_registries: [\"$dead\", \"$H\"], registry_timeout: 1s"
SECONDS=0
run U run errs --ignore-window
took=$SECONDS
is "$rc" 0 "registry errors: the run succeeds"
is "$(rec 's["status"]')" ok "registry errors: the step is ok"
cmp_ok "$took" -lt 30 "a hanging registry is bounded by registry_timeout (took ${took}s)"
like "$(rec '[f["text"] for f in F if "x/app" in f["text"]][0]')" \
	"^$dead/x/app:1: cannot reach registry '$dead' \\(http://$dead/v2/x/app/manifests/1\\): " \
	"registry down: an info finding naming the registry and URL"
like "$(rec '[f["text"] for f in F if "slow/app" in f["text"]][0]')" "registry '$H' did not answer in time" \
	"registry hangs: an info finding"
like "$(rec '[f["text"] for f in F if "bad/app" in f["text"]][0]')" "malformed Docker-Content-Digest 'sha256:nothex'" \
	"a malformed digest header: an info finding"
like "$(rec '[f["text"] for f in F if "html/app" in f["text"]][0]')" "not an image manifest" \
	"an answer that is not a manifest: an info finding"
is "$(rec '[f["severity"] for f in F]')" '["info", "info", "info", "info", "info"]' \
	"every registry problem is info (and nodigest/app is an info too: not local)"
is "$(rec '[x["registry_digest"] for x in d["images"] if "nodigest" in x["image"]][0]')" \
	"sha256:$(printf '%s' "$manifest" | sha256sum | cut -d' ' -f1)" \
	"no Docker-Content-Digest: the digest is the sha256 of the manifest GET (sha256sum agrees)"

# The step's own timeout bounds everything: the step ends timed-out.
printf 'job: tmo\nwindows: [w]\nsteps:\n  - { name: patches, kind: patch-check, timeout: 2s, apt: false, images: ["%s/slow/app:1"], insecure_registries: ["%s"] }\n' \
	"$H" "$H" >"$cfg/jobs/tmo.yaml"
SECONDS=0
run U run tmo --ignore-window
took=$SECONDS
is "$rc" 1 "step timeout: the run fails"
is "$(rec 's["status"]')" timed-out "step timeout: the step is timed-out"
like "$(rec 's["summary"]')" "out of time before every source was checked" "step timeout: the summary says so"
cmp_ok "$took" -lt 30 "step timeout: bounded (took ${took}s)"

# ---- authentication ---------------------------------------------------------

http_reset
printf '{"auths": {"%s": {"auth": "%s"}}}\n' "$H" "$(printf 'ops:pa55-w0rd' | base64)" >"$tmp/config.json"
http_route "{\"path\": \"/v2/tok/app/manifests/1\", \"status\": 401, \"headers\": {\"WWW-Authenticate\": \"Bearer realm=\\\"$HTTP_FIXTURE/token\\\",service=\\\"fixture-registry\\\",scope=\\\"repository:tok/app:pull\\\"\"}}"
http_route '{"path": "/token", "body": "{\"token\": \"tkn-s3cret-123\", \"expires_in\": 300}", "headers": {"Content-Type": "application/json"}}'
job tok "apt: false, images: [\"$H/tok/app:1\"], insecure_registries: [\"$H\"], docker_config: $tmp/config.json"
run U plan tok
is "$(http_requests | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)))')" 0 \
	"plan: the fixture registry got no request"
like "$out" "registry $H would be contacted at http://$H \\(HEAD/GET only; credentials: config.json\\)" \
	"plan: says credentials come from config.json"
run U run tok --ignore-window
reqs=$(http_requests)
req() { "$PY" -c 'import json, sys; r = json.loads(sys.argv[2]); print(eval(sys.argv[1]))' "$1" "$reqs"; }
is "$(req '[(x["method"], x["path"].split("?")[0]) for x in r]')" \
	"[('HEAD', '/v2/tok/app/manifests/1'), ('GET', '/token'), ('HEAD', '/v2/tok/app/manifests/1')]" \
	"bearer flow: HEAD, 401, token, HEAD again"
is "$(req 'r[0]["headers"].get("Authorization")')" None "the first HEAD is anonymous"
like "$(req 'r[0]["headers"]["Accept"]')" "application/vnd.oci.image.index.v1\\+json, application/vnd.docker.distribution.manifest.list.v2\\+json" \
	"the HEAD asks for indexes and manifest lists first"
is "$(req 'r[1]["path"].split("?")[1]')" "service=fixture-registry&scope=repository%3Atok%2Fapp%3Apull" \
	"the token request carries the challenge's service and scope"
is "$(req 'r[1]["headers"].get("Authorization")')" "Basic $(printf 'ops:pa55-w0rd' | base64)" \
	"the token request carries the config.json credentials (same host)"
is "$(req 'r[2]["headers"].get("Authorization")')" "Bearer tkn-s3cret-123" "the retry carries the token"
like "$(rec '[f["text"] for f in F][0]')" "refused access \\(HTTP 401\\) with the credentials from the Docker config" \
	"still 401: an info finding saying the credentials were refused"
rdir=$(dirname "$(newest json)")
unlike "$(cat "$rdir"/*)" 'tkn-s3cret|pa55-w0rd|b3BzOnBhNTUtdzByZA' "neither token nor password in records or reports"

# With the token, the registry answers: the flow reaches the digest.
http_reset
digest=sha256:$(printf 'tok-manifest' | sha256sum | cut -d' ' -f1)
http_route "{\"path\": \"/v2/tok/app/manifests/1\", \"status\": 401, \"headers\": {\"WWW-Authenticate\": \"Bearer realm=\\\"$HTTP_FIXTURE/token\\\",service=\\\"fixture-registry\\\",scope=\\\"repository:tok/app:pull\\\"\"}, \"if_header\": {\"name\": \"Authorization\", \"value\": \"Bearer tkn-s3cret-123\", \"status\": 200, \"headers\": {\"Docker-Content-Digest\": \"$digest\", \"Content-Type\": \"application/vnd.oci.image.index.v1+json\"}}}"
http_route '{"path": "/token", "body": "{\"token\": \"tkn-s3cret-123\", \"expires_in\": 300}", "headers": {"Content-Type": "application/json"}}'
run U run tok --ignore-window
reqs=$(http_requests)
is "$(req '[(x["method"], x["path"].split("?")[0]) for x in r]')" \
	"[('HEAD', '/v2/tok/app/manifests/1'), ('GET', '/token'), ('HEAD', '/v2/tok/app/manifests/1')]" \
	"bearer flow to the end: HEAD, token, HEAD with the token"
like "$(cat "$(newest json)")" "$digest" "the registry's digest, fetched with the token, is in the record"
unlike "$(rec '[f["text"] for f in F]')" "refused|401" "no finding about refused credentials"
unlike "$(cat "$rdir"/*)" 'tkn-s3cret|pa55-w0rd|b3BzOnBhNTUtdzByZA' "neither token nor password in records or reports (success path)"

# The token server refuses: said so, naming it and the credentials.
http_route '{"path": "/token", "status": 401, "body": "{}"}'
run U run tok --ignore-window
like "$(rec '[f["text"] for f in F][0]')" "token server '$H' refused the credentials from the Docker config \\(HTTP 401\\): check them with \`docker login\`" \
	"token server refusing: an info finding naming it"

# Basic, with and without credentials.
http_reset
http_route '{"path": "/v2/basic/app/manifests/1", "status": 401, "headers": {"WWW-Authenticate": "Basic realm=\"Registry Realm\""}}'
job basic "apt: false, images: [\"$H/basic/app:1\"], insecure_registries: [\"$H\"], docker_config: $tmp/config.json"
run U run basic --ignore-window
reqs=$(http_requests)
is "$(req '[x["headers"].get("Authorization") for x in r]')" "[None, 'Basic $(printf 'ops:pa55-w0rd' | base64)']" \
	"basic challenge: retried once with the config.json credentials"
echo '{}' >"$tmp/empty.json"
job anon "apt: false, images: [\"$H/basic/app:1\"], insecure_registries: [\"$H\"], docker_config: $tmp/empty.json"
http_reset
http_route '{"path": "/v2/basic/app/manifests/1", "status": 401, "headers": {"WWW-Authenticate": "Basic realm=\"Registry Realm\""}}'
run U run anon --ignore-window
is "$(http_requests | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)))')" 1 \
	"basic challenge without credentials: no retry"
like "$(rec '[f["text"] for f in F][0]')" "refused access \\(HTTP 401\\) without credentials: log in with \`docker login\`" \
	"401 without credentials: says what to do"

# ---- apt: the real machine --------------------------------------------------

job aptreal "apt: true"
inst=$(LC_ALL=C apt-get -s -o Debug::NoLocking=1 upgrade 2>/dev/null | grep '^Inst ')
n_inst=$(printf '%s' "$inst" | grep -c '^Inst ')
n_sec=$(printf '%s' "$inst" | grep -c -i 'security')
run U run aptreal --ignore-window
is "$rc" 0 "real apt: exit 0"
is "$(rec 'd["apt"]["upgradable"]')" "$n_inst" "real apt: upgradable = the Inst lines of apt-get -s upgrade"
is "$(rec 'len(d["security_updates"])')" "$n_sec" "real apt: security updates = the Inst lines from a security suite"
is "$(rec '[sorted(p.keys()) for p in d["apt"]["packages"][:1]]')" \
	"$(if [ "$n_inst" -gt 0 ]; then echo '[["arch", "candidate", "held", "installed", "name", "origins", "security"]]'; else echo '[]'; fi)" \
	"real apt: each package has its fields"
is "$(rec 'str(d["reboot_required"]).lower()')" "$([ -e /var/run/reboot-required ] && echo true || echo false)" \
	"real apt: reboot_required is whether /var/run/reboot-required exists"
is "$(rec 'len([f for f in F if f["severity"] == "security"])')" "$n_sec" "real apt: one security finding per security update"

# ---- apt: fake tools printing the Ubuntu 24.04 fixtures ---------------------

fake=$tmp/fakebin
mkdir -p "$fake" "$tmp/root/var/run"
cp "$FIX/reboot-required" "$FIX/reboot-required.pkgs" "$tmp/root/var/run/"
cat >"$fake/apt-get" <<EOF
#!/bin/sh
echo "apt-get \$*" >>"$tmp/apt.log"
[ -n "\${FAKE_APT_FAIL:-}" ] && { echo "E: Could not get lock /var/lib/dpkg/lock-frontend"; exit 100; }
[ "\$1" = update ] && exit 0
cat "$FIX/ubuntu2404-upgrade.txt"
EOF
cat >"$fake/apt-mark" <<EOF
#!/bin/sh
echo "apt-mark \$*" >>"$tmp/apt.log"
cat "$FIX/ubuntu2404-showhold.txt"
EOF
cat >"$fake/apt-cache" <<EOF
#!/bin/sh
echo "apt-cache \$*" >>"$tmp/apt.log"
if [ "\$2" = postgresql-15 ]; then
	printf 'postgresql-15:\n  Installed: 15.4-0+deb12u1\n  Candidate: 15.9-0+deb12u1\n  Version table:\n     15.9-0+deb12u1 500\n        500 http://deb.debian.org/debian-security bookworm-security/main amd64 Packages\n *** 15.4-0+deb12u1 100\n        100 /var/lib/dpkg/status\n'
	exit 0
fi
cat "$FIX/ubuntu2404-policy.txt"
EOF
chmod +x "$fake"/*
F() { PATH=$fake:$PATH UPKEEP_APT_ROOT=$tmp/root "$@"; }
dsn="host=$PGHOST port=$PGPORT user=postgres dbname=postgres"
job aptfake "apt: true, postgres: \"$dsn\", fail_on: security"
: >"$tmp/apt.log"
run F U plan aptfake --ignore-window
is "$rc" 0 "fake apt: plan exit 0"
is "$(cat "$tmp/apt.log")" "" "plan: no apt tool is run"
: >"$tmp/apt.log"
run F U run aptfake --ignore-window
is "$rc" 1 "fail_on: security with security updates: the run fails"
is "$(cat "$tmp/apt.log")" "apt-get -s -o Debug::NoLocking=1 upgrade
apt-mark showhold
apt-cache policy linux-image-generic linux-generic linux-headers-generic
apt-cache policy postgresql-15" "the apt commands, simulation only, no update"
is "$(rec '[f["text"] for f in F if f["severity"] == "security" and f["source"] == "apt"]')" \
	'["security update: openssl 3.0.13-0ubuntu3.4 \u2192 3.0.13-0ubuntu3.5 (Ubuntu:24.04/noble-security)", "security update: libssl3t64 3.0.13-0ubuntu3.4 \u2192 3.0.13-0ubuntu3.5 (Ubuntu:24.04/noble-security)", "security update: python3-urllib3 2.0.7-1 \u2192 2.0.7-1ubuntu0.1 (Ubuntu:24.04/noble-security)", "security update: tzdata 2024a-3ubuntu1.1 \u2192 2025b-0ubuntu0.24.04 (Ubuntu:24.04/noble-security)", "security update (held back): linux-image-generic 6.8.0-45.45 \u2192 6.8.0-51.52 (noble-security/main)"]' \
	"Ubuntu 24.04: security updates, the held kernel included"
is "$(rec '[f["text"] for f in F if f["severity"] == "update" and f["source"] == "apt"]')" \
	'["3 package updates: libc6 2.39-0ubuntu8.3 \u2192 2.39-0ubuntu8.4, libc-bin 2.39-0ubuntu8.3 \u2192 2.39-0ubuntu8.4, snapd 2.63+24.04 \u2192 2.66.1+24.04", "reboot required (/var/run/reboot-required) by linux-image-6.8.0-51-generic, libc6"]' \
	"Ubuntu 24.04: regular updates in one finding, and the reboot"
is "$(rec '[f["text"] for f in F if f["severity"] == "info" and f["source"] == "apt"]')" \
	'["held back: linux-generic 6.8.0-45.45 \u2192 6.8.0-51.52"]' "kept back, not security: info"
is "$(rec '[d["apt"]["held"], d["apt"]["kept_back"], d["reboot_required"]]')" \
	'[["linux-image-generic"], ["linux-generic", "linux-headers-generic", "linux-image-generic"], true]' \
	"details: held, kept back, reboot_required"
is "$(rec 'len(d["security_updates"])')" 5 "details: security_updates (what the weekly report counts)"
pgver=$(psql -XAtc 'show server_version')
is "$(rec 'd["postgres"]["server_version"]')" "$pgver" "postgres: the server version (psql agrees)"
is "$(rec '[f["severity"] + " " + f["text"] for f in F if f["source"] == "postgres"]')" \
	"[\"security PostgreSQL $pgver: package postgresql-15 has a newer candidate 15.9-0+deb12u1 (installed 15.4-0+deb12u1) from a security suite\"]" \
	"postgres: a newer server package from a security suite"

job aptref "apt: true, refresh: true"
: >"$tmp/apt.log"
run F U plan aptref
like "$out" "apt-get update would run first" "refresh: the plan says apt-get update would run"
is "$(cat "$tmp/apt.log")" "" "refresh: the plan runs nothing"
run F U run aptref --ignore-window
is "$(head -1 "$tmp/apt.log")" "apt-get update -q" "refresh: apt-get update runs first"

job aptfail "apt: true, fail_on: security"
run env FAKE_APT_FAIL=1 PATH="$fake:$PATH" "$UPKEEP" --config "$cfg" run aptfail --ignore-window
is "$(rec '[f["text"] for f in F if f["source"] == "apt"]')" \
	"[\"cannot check OS packages: 'apt-get -s -o Debug::NoLocking=1 upgrade' failed (exit 100): E: Could not get lock /var/lib/dpkg/lock-frontend\"]" \
	"apt failing: an info finding with apt's message"
is "$(rec 's["status"]')" ok "apt failing: the step is ok (fail_on counts findings, not errors)"

run env PATH=/nonexistent "$UPKEEP" --config "$cfg" run aptfail --ignore-window
is "$(rec '[f["text"] for f in F]')" \
	"[\"cannot check OS packages: cannot run 'apt-get': No such file or directory (the apt check needs Debian's apt tools; set 'apt: false' on other hosts)\"]" \
	"no apt on the host: an info finding saying what to do"

# Real PostgreSQL, real apt: the installed server package.
job pgreal "apt: false, postgres: \"$dsn\""
run U run pgreal --ignore-window
is "$rc" 0 "postgres with the real apt: exit 0"
is "$(rec 'd["postgres"]["package_installed"]')" \
	"$(dpkg-query -W -f '${Version}' "postgresql-${pgver%%.*}" 2>/dev/null || echo False)" \
	"postgres: the installed package version (dpkg-query agrees)"
job pgdown "apt: false, postgres: \"host=$tmp port=1 user=postgres\""
run U run pgdown --ignore-window
is "$rc" 0 "postgres unreachable: exit 0"
like "$(rec '[f["text"] for f in F][0]')" "cannot connect to PostgreSQL" "postgres unreachable: an info finding"

done_testing
