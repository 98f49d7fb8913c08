#!/usr/bin/env bash
# Pulumi's official Node.js language host, built from ../shared/pulumi-language-nodejs (Pulumi v3.248.0's source,
# its go.sum pinning every module; Go module proxy only), into a folder laid out as a stock Pulumi install is:
#
# Usage: build.sh <output-dir>     -> <output-dir>/pulumi (a hard link of tools/bin/pulumi), pulumi-language-nodejs
#                                     (the official host), pulumi-resource-pulumi-nodejs (the SDK's launcher)
#
# The CLI takes its language host from next to its own executable (after PATH), so tests run that folder's
# `pulumi` to be sure the official host is the one picked. Skipped, with one line, where the source folder is
# absent (a clone without ../shared beside it): the tests that need it then skip too (test/support/shared.ts).
# Idempotent: a host built from the same source is kept.
set -euo pipefail

if [[ $# -ne 1 || -z "$1" ]]; then
	echo "usage: $0 <output-dir>" >&2
	exit 2
fi
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
src="${EDGE_SHARED_DIR:-$root/../shared}/pulumi-language-nodejs"
if [[ ! -f "$src/go.mod" ]]; then
	echo "official language host: $src is absent: not built (the tests with it skip)" >&2
	exit 0
fi
mkdir -p "$1"
out="$(cd "$1" && pwd)"
stamp="$out/.source-sha256"
sum="$(cat "$src"/go.mod "$src"/go.sum "$src"/*.go | sha256sum | cut -d' ' -f1)"

if [[ -x "$out/pulumi-language-nodejs" && "$(cat "$stamp" 2>/dev/null)" == "$sum" ]]; then
	echo "official language host: cached" >&2
else
	source "$here/../lib.sh"
	go_build_env pulumi-language-nodejs
	work="$(mktemp -d)"
	trap 'rm -rf "$work"' EXIT
	cp -r "$src/." "$work/" && chmod -R u+w "$work"
	echo "official language host: building from $src (first time: about 2 minutes on 2 cores)..." >&2
	(cd "$work" && nice -n 19 go build -trimpath -o "$out/pulumi-language-nodejs.tmp" .)
	mv "$out/pulumi-language-nodejs.tmp" "$out/pulumi-language-nodejs"
	echo "$sum" >"$stamp"
fi
# The rest of a stock install's folder: the CLI itself (a hard link, so the CLI's "next to my executable" is this
# folder; a copy where tools/ spans file systems) and the SDK's dynamic-provider launcher, as Pulumi ships them.
[ "$out/pulumi" -ef "$root/tools/bin/pulumi" ] || ln -fL "$root/tools/bin/pulumi" "$out/pulumi" 2>/dev/null || cp -fL "$root/tools/bin/pulumi" "$out/pulumi"
install -m 0755 "$root/node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs" "$out/pulumi-resource-pulumi-nodejs"
echo "official language host: $out (with pulumi $("$out/pulumi" version))" >&2
