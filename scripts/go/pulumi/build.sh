#!/usr/bin/env bash
# Builds the Pulumi CLI `pulumi` from the Go module proxy only (no git, no GitHub, no get.pulumi.com).
#
# Usage: build.sh <output-dir>      -> <output-dir>/pulumi
#
# Pinned: Pulumi v3.248.0, the version of the @pulumi/pulumi SDK in package-lock.json (the Automation API checks
# that the CLI's version matches). github.com/pulumi/pulumi/pkg/v3 carries replace directives, so
# `go install pkg@version` is refused: this folder is a wrapper module that requires pkg/v3 and sdk/v3 at the same
# version and repeats the non-local replace. Modules are verified against the committed go.sum (GOSUMDB=off
# because the checksum DB is unreachable; -mod=readonly makes a missing or mismatching go.sum entry a hard error
# instead of silently trusting the download or rewriting go.sum). The version is stamped with -ldflags -X.
# Idempotent: an existing <output-dir>/pulumi that reports the pinned version is left alone.
set -euo pipefail

PULUMI_VERSION="v3.248.0"
PULUMI_PKG="github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"

if [[ $# -ne 1 || -z "$1" ]]; then
	echo "usage: $0 <output-dir>" >&2
	exit 2
fi

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mkdir -p "$1"
out="$(cd "$1" && pwd)"
bin="$out/pulumi"

if [[ -x "$bin" ]] && [[ "$("$bin" version 2>/dev/null | tr -d '[:space:]')" == "$PULUMI_VERSION" ]]; then
	echo "pulumi: cached" >&2
	exit 0
fi

source "$here/../lib.sh"
go_build_env pulumi

cd "$here"
echo "pulumi: $(go version), building Pulumi ${PULUMI_VERSION}" >&2
echo "pulumi: downloading modules (verified against go.sum)..." >&2
nice -n 19 go list -deps "$PULUMI_PKG" >/dev/null
echo "pulumi: compiling (first time: several minutes on 2 cores)..." >&2
start=$SECONDS
tmp="$bin.tmp.$$"
trap 'rm -f "$tmp"' EXIT
nice -n 19 go build -trimpath -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=${PULUMI_VERSION}" -o "$tmp" "$PULUMI_PKG"
mv -f "$tmp" "$bin"
trap - EXIT
echo "pulumi: built $bin in $((SECONDS - start))s: $("$bin" version)" >&2
