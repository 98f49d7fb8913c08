#!/usr/bin/env bash
# Builds unmodified EdgeX 4 service binaries (core-keeper, security-proxy-auth, core-data, core-metadata) and the
# tests' go-mod-secrets client (test/support/edgex-client) from the EdgeX sources in ../shared/edgex, for the
# EdgeX-layout tests (test/integration/edgex-services.test.ts).
#
# Usage: build.sh [<output-dir>]     (default: tools/edgex)
#   -> <output-dir>/<service>, <output-dir>/<service>.res/, <output-dir>/common-configuration.yaml,
#      <output-dir>/edgex-client, <output-dir>/stamp
#
# The sources are ../shared/edgex/src (or $EDGE_SHARED_DIR/edgex/src), unmodified; ../shared/edgex/build.sh does
# the service build (a scratch copy of edgex-go with a `replace` for each go-mod-* folder, every other module from
# the Go module proxy, edgex-go's own build tags). Where ../shared is absent (a user's clone) this prints why and
# does nothing: the tests that need the binaries skip. Idempotent: the stamp holds a hash of the sources' commit
# list (COMMITS.txt), this script, the service list and the client's sources; an output with the same stamp is
# left alone. The Go module and build caches are the machine's own (shared with the other Go builds).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
shared="${EDGE_SHARED_DIR:-$root/../shared}"
[[ -d "$shared" ]] && shared="$(cd "$shared" && pwd)"
edgex="$shared/edgex"
out="${1:-$root/tools/edgex}"
client="$root/test/support/edgex-client"
SERVICES=(core-keeper security-proxy-auth core-data core-metadata)

if [[ ! -f "$edgex/build.sh" || ! -f "$edgex/COMMITS.txt" || ! -d "$edgex/src/edgex-go" ]]; then
	echo "edgex: $edgex is absent: the EdgeX service binaries are not built and the EdgeX-service tests will skip" >&2
	exit 0
fi
command -v go >/dev/null 2>&1 || {
	echo "edgex: go not found in PATH" >&2
	exit 1
}

stamp="$({
	cat "$edgex/COMMITS.txt" "$edgex/build.sh" "$here/build.sh"
	echo "${SERVICES[*]}"
	(cd "$client" && find . -type f | LC_ALL=C sort | xargs cat)
} | sha256sum | cut -d' ' -f1)"
if [[ -f "$out/stamp" && "$(cat "$out/stamp")" == "$stamp" ]]; then
	echo "edgex: cached ($(awk '$1 == "edgex-go" { print $3 }' "$edgex/COMMITS.txt"))" >&2
	exit 0
fi

mkdir -p "$out"
out="$(cd "$out" && pwd)"
rm -f "$out/stamp"
# Only the module proxy is reachable; EdgeX's go.mod files carry no go.sum for the replaced modules, so the build
# resolves with -mod=mod (../shared/edgex/build.sh sets it) and no checksum database, on the machine's own Go.
export GOPROXY="${GOPROXY:-https://proxy.golang.org}" GOSUMDB=off GOTOOLCHAIN=local
work="$(mktemp -d "${TMPDIR:-/tmp}/edgex-build.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# The version stamped into the binaries: edgex-go's `git describe` from COMMITS.txt, as EdgeX's CI writes it to
# ./VERSION. Not the Makefile's fallback 0.0.0: a service built as 0.0.0 records the 4.0.0-dev schema in its
# database on the first start and then refuses to start again ("... is above service version 0.0.0").
version="$(awk '$1 == "edgex-go" { sub(/^v/, "", $3); print $3 }' "$edgex/COMMITS.txt")"
echo "edgex: building ${SERVICES[*]} $version from $edgex/src; first time: a few minutes" >&2
EDGEX_VERSION="$version" WORK_DIR="$work/services" NICE=19 bash "$edgex/build.sh" "$edgex/src" "$out" "${SERVICES[@]}" >&2

# The tests' client: go-mod-secrets unmodified, through the same replace directives as the services; every other
# module is pinned by the client's committed go.sum (-mod=readonly: a missing or different entry fails the build).
echo "edgex: building edgex-client (go-mod-secrets)" >&2
cp -R "$client" "$work/client"
cd "$work/client"
for d in "$edgex/src"/go-mod-*; do
	[[ -f "$d/go.mod" ]] || continue
	go mod edit -replace "$(awk '$1 == "module" { print $2; exit }' "$d/go.mod")=$d"
done
GOFLAGS=-mod=readonly nice -n 19 go build -trimpath -ldflags "-s -w" -o "$out/edgex-client.tmp" .
mv -f "$out/edgex-client.tmp" "$out/edgex-client"

printf '%s\n' "$stamp" >"$out/stamp"
echo "edgex: built into $out" >&2
