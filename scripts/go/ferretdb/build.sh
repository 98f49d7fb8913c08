#!/usr/bin/env bash
# Builds FerretDB (a MongoDB-wire server; here over SQLite) from the Go module proxy only (no git, no GitHub).
#
# Usage: build.sh <output-dir>      -> <output-dir>/ferretdb
#
# Pinned: FerretDB v1.24.2 = commit cda72d440810406a208c4670aa7047f5bc8d528f. This folder's go.sum pins the
# module zip and every dependency (GOSUMDB=off because the checksum DB is unreachable; -mod=readonly makes a
# missing or mismatching entry a hard error), as in the pulumi and openbao builds.
#
# Why a build copy: the module zip lacks build/version/version.txt (generated from git by FerretDB's own
# Taskfile), and the binary panics at start without it when it is built as the main module. It is read through
# //go:embed, which `go build -overlay` does not serve, so the script copies the verified module out of the
# module cache into a temporary folder, writes version.txt and commit.txt there, and builds ./cmd/ferretdb in
# that copy (as the main module, so `ferretdb --version` reports the pinned version and commit), with this
# folder's committed go.sum in place of the module's own, so the build is checked against the same file.
# Idempotent: an existing <output-dir>/ferretdb that reports the pinned version is left alone.
set -euo pipefail

FERRETDB_VERSION="v1.24.2"
FERRETDB_COMMIT="cda72d440810406a208c4670aa7047f5bc8d528f"
FERRETDB_MODULE="github.com/FerretDB/FerretDB"

if [[ $# -ne 1 || -z "$1" ]]; then
	echo "usage: $0 <output-dir>" >&2
	exit 2
fi

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mkdir -p "$1"
out="$(cd "$1" && pwd)"
bin="$out/ferretdb"

reports_pinned_version() {
	local v
	v="$("$bin" --version 2>/dev/null)" || return 1
	grep -qx "version: ${FERRETDB_VERSION}" <<<"$v" && grep -qx "commit: ${FERRETDB_COMMIT}" <<<"$v"
}

if [[ -x "$bin" ]] && reports_pinned_version; then
	echo "ferretdb: cached" >&2
	exit 0
fi

source "$here/../lib.sh"
go_build_env ferretdb
export CGO_ENABLED=0 # SQLite is modernc.org/sqlite (pure Go): a static binary

cd "$here"
echo "ferretdb: $(go version), building FerretDB ${FERRETDB_VERSION} (${FERRETDB_COMMIT:0:12})" >&2
# Downloads the module zip and checks it against this folder's go.sum.
src="$(go mod download -json "$FERRETDB_MODULE" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
[[ -f "$src/go.mod" ]] || {
	echo "ferretdb: module $FERRETDB_MODULE not found in the module cache" >&2
	exit 1
}

work="$(mktemp -d "${TMPDIR:-/tmp}/ferretdb-build.XXXXXX")"
tmp="$bin.tmp.$$"
trap 'rm -rf "$work" "$tmp"' EXIT
cp -R "$src/." "$work/"
chmod -R u+w "$work" # the module cache is read-only
printf '%s\n' "$FERRETDB_VERSION" >"$work/build/version/version.txt"
printf '%s\n' "$FERRETDB_COMMIT" >"$work/build/version/commit.txt"
cp "$here/go.sum" "$work/go.sum"

cd "$work"
echo "ferretdb: downloading dependencies (verified against scripts/go/ferretdb/go.sum)..." >&2
nice -n 19 go list -deps ./cmd/ferretdb >/dev/null
echo "ferretdb: compiling (a few minutes on 2 cores the first time)..." >&2
start=$SECONDS
# -buildvcs=false: the copy is not a git checkout; the commit comes from commit.txt.
nice -n 19 go build -trimpath -buildvcs=false -ldflags "-s -w" -o "$tmp" ./cmd/ferretdb
mv -f "$tmp" "$bin"
if ! reports_pinned_version; then
	echo "ferretdb: built binary does not report ${FERRETDB_VERSION}: $("$bin" --version 2>&1 | head -3)" >&2
	exit 1
fi
echo "ferretdb: built $bin in $((SECONDS - start))s" >&2
