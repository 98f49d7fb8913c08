#!/usr/bin/env bash
# Builds SeaweedFS's `weed` (master, volume server, filer and S3 gateway in one binary) from the Go module proxy
# only (no git, no GitHub). It is the S3-compatible server bench/backend.ts measures Pulumi's `s3://` state backend
# against (test/support/s3-server.ts); not part of `npm run setup` (CI time): the bench builds it on first use.
#
# Usage: build.sh <output-dir>      -> <output-dir>/weed
#
# Pinned: seaweedfs commit 7506e5f91cd6 (2026-11-09), weed 4.53, through its pseudo-version in go.mod (the module
# has no tagged Go version on the proxy). Its go.mod has a replace directive, so `go install weed@version` is
# refused: this folder is a wrapper module that requires it and repeats the replace. Modules are verified against
# the committed go.sum (GOSUMDB=off because the checksum DB is unreachable; -mod=readonly makes a missing or
# mismatching go.sum entry a hard error). The commit is stamped with -ldflags -X, so `weed version` names it.
# Idempotent: an existing <output-dir>/weed that reports the pinned version and commit is left alone.
set -euo pipefail

WEED_VERSION="4.53"
WEED_COMMIT="7506e5f91cd6"
WEED_PKG="github.com/seaweedfs/seaweedfs/weed"

if [[ $# -ne 1 || -z "$1" ]]; then
	echo "usage: $0 <output-dir>" >&2
	exit 2
fi

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mkdir -p "$1"
out="$(cd "$1" && pwd)"
bin="$out/weed"

if [[ -x "$bin" ]] && "$bin" version 2>/dev/null | grep -qF "${WEED_VERSION} ${WEED_COMMIT}"; then
	echo "weed: cached" >&2
	exit 0
fi

source "$here/../lib.sh"
go_build_env weed
export CGO_ENABLED=0 # static binary, as the upstream release builds

cd "$here"
echo "weed: $(go version), building SeaweedFS ${WEED_VERSION} (${WEED_COMMIT})" >&2
echo "weed: downloading modules (verified against go.sum)..." >&2
nice -n 19 go list -deps "$WEED_PKG" >/dev/null
echo "weed: compiling (first time: 11-12 minutes on 2 shared cores)..." >&2
start=$SECONDS
tmp="$bin.tmp.$$"
trap 'rm -f "$tmp"' EXIT
nice -n 19 go build -trimpath -ldflags "-s -w -X github.com/seaweedfs/seaweedfs/weed/util/version.COMMIT=${WEED_COMMIT}" -o "$tmp" "$WEED_PKG"
mv -f "$tmp" "$bin"
trap - EXIT
echo "weed: built $bin in $((SECONDS - start))s: $("$bin" version 2>&1 | head -1)" >&2
