#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# tests/integration/fixture-registry.t - the OCI registry fixture itself.
#
# Proves that registry_start (tests/lib/servers.sh) runs docker-registry
# (distribution 2.8) on 127.0.0.1 with filesystem storage in the test's temp
# dir, speaking the distribution API: curl pushes a minimal image by hand
# (blob uploads, an OCI manifest), reads it back by tag and digest and
# deletes it; and that registry_stop closes the port.  Not a test of upkeep.
set -uo pipefail
# shellcheck source=../lib/servers.sh
. "$(dirname "$0")/../lib/servers.sh"

registry_start

like "$REGISTRY" '^127\.0\.0\.1:[0-9]+$' "REGISTRY is a loopback host:port"
headers=$(curl -s -D - -o /dev/null "http://$REGISTRY/v2/" | tr -d '\r')
like "$headers" '^HTTP/1\.1 200 ' "GET /v2/ is 200 (no auth)"
like "$headers" $'\n[Dd]ocker-[Dd]istribution-[Aa]pi-[Vv]ersion: registry/2\\.0\n' \
	"Docker-Distribution-Api-Version: registry/2.0"

# A minimal image: one uncompressed layer holding one file, and its config.
work=$UPKEEP_TEST_TMP/image
mkdir -p "$work/rootfs"
echo "upkeep registry fixture" >"$work/rootfs/hello.txt"
tar -C "$work/rootfs" --mtime=@0 --owner=0 --group=0 -cf "$work/layer.tar" hello.txt
sha() { echo "sha256:$(sha256sum "$1" | cut -d' ' -f1)"; }
size() { stat -c %s "$1"; }
layer=$(sha "$work/layer.tar")
printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["%s"]}}' \
	"$layer" >"$work/config.json"
config=$(sha "$work/config.json")
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%d},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":%d}]}' \
	"$config" "$(size "$work/config.json")" "$layer" "$(size "$work/layer.tar")" >"$work/manifest.json"
manifest=$(sha "$work/manifest.json")
repo=upkeep/fixture

# push_blob FILE DIGEST - POST starts an upload session, PUT completes it.
push_blob() {
	local location
	location=$(curl -fsS -X POST -D - -o /dev/null "http://$REGISTRY/v2/$repo/blobs/uploads/" |
		tr -d '\r' | sed -n 's/^[Ll]ocation: //p') || return 1
	[ -n "$location" ] || return 1
	case $location in /*) location=http://$REGISTRY$location ;; esac
	case $location in *\?*) location="$location&digest=$2" ;; *) location="$location?digest=$2" ;; esac
	[ "$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H 'Content-Type: application/octet-stream' \
		--data-binary "@$1" "$location")" = 201 ]
}

ok "push the layer blob" push_blob "$work/layer.tar" "$layer"
ok "push the config blob" push_blob "$work/config.json" "$config"
is "$(curl -s -o /dev/null -w '%{http_code}' -X PUT \
	-H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
	--data-binary "@$work/manifest.json" "http://$REGISTRY/v2/$repo/manifests/1.0")" 201 \
	"PUT the manifest as tag 1.0"

headers=$(curl -s -I -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
	"http://$REGISTRY/v2/$repo/manifests/1.0" | tr -d '\r')
like "$headers" '^HTTP/1\.1 200 ' "HEAD the manifest by tag"
like "$headers" $'\n[Dd]ocker-[Cc]ontent-[Dd]igest: '"$manifest"$'\n' \
	"its digest is the sha256 of the bytes pushed"
is "$(curl -s "http://$REGISTRY/v2/$repo/tags/list")" '{"name":"upkeep/fixture","tags":["1.0"]}' \
	"tags/list"
is "$(curl -s "http://$REGISTRY/v2/$repo/blobs/$layer" | sha256sum | cut -d' ' -f1)" "${layer#sha256:}" \
	"GET the layer blob back"
ok "the registry stores under the test's temp dir" \
	test -d "$UPKEEP_TEST_TMP/registry/data/docker/registry/v2/repositories/$repo"

is "$(curl -s -o /dev/null -w '%{http_code}' -X DELETE \
	"http://$REGISTRY/v2/$repo/manifests/$manifest")" 202 "DELETE the manifest by digest (deletes enabled)"
is "$(curl -s -o /dev/null -w '%{http_code}' -I \
	-H 'Accept: application/vnd.oci.image.manifest.v1+json' \
	"http://$REGISTRY/v2/$repo/manifests/$manifest")" 404 "and it is gone"

registry=$REGISTRY
registry_stop

curl -s -o /dev/null --max-time 5 "http://$registry/v2/"
is "$?" 7 "after registry_stop the port is closed (curl: couldn't connect)"
is "$(procs_mentioning "$UPKEEP_TEST_TMP/registry")" "" "no registry process remains"
ok "registry_stop is idempotent" registry_stop

done_testing
