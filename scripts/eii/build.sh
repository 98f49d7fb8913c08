#!/usr/bin/env bash
# Builds EII's real ConfigMgr client library (eii-configmgr with eii-c-utils and eii-messagebus) and
# configmgr-probe from ../shared/eii into tools/eii, and this folder's eii-msgbus-peer (a publisher or subscriber
# on EII's message bus library, configured by ConfigMgr): the consumers the EII layout's tests run.
#
# Usage: build.sh            -> tools/eii/bin/configmgr-probe, tools/eii/bin/eii-msgbus-peer, tools/eii/lib/*.so
#
# Installs the Debian packages that ../shared/eii/README.md lists (as root), then runs ../shared/eii/build.sh
# (about 3.5 min on 2 cores). Idempotent: skipped when tools/eii/.source matches a listing (name, size, time) of
# every file under ../shared/eii and msgbus-peer.c's digest. Where ../shared/eii is absent, it says so and stops without error (the tests
# that need it skip, or fail under CI=true).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../env.sh"
say() { printf '[setup] eii: %s\n' "$*" >&2; }
shared="${EDGE_SHARED_DIR:-$EDGE_ROOT/../shared}/eii"
out="$EDGE_TOOLS/eii"
if [ ! -x "$shared/build.sh" ]; then say "$shared is absent: EII's ConfigMgr library is not built"; exit 0; fi
shared=$(cd "$shared" && pwd)

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
shared_id=$(cd "$shared" && find . -type f -printf '%P %s %T@\n' | LC_ALL=C sort | sha256sum | cut -d' ' -f1)
source_id=$( (cd "$shared" && find . -type f -printf '%P %s %T@\n' | LC_ALL=C sort; sha256sum "$here/msgbus-peer.c" | cut -d' ' -f1) | sha256sum | cut -d' ' -f1)
if [ -x "$out/bin/configmgr-probe" ] && [ -x "$out/bin/eii-msgbus-peer" ] && [ "$(cat "$out/.source" 2>/dev/null)" = "$source_id" ]; then
  say "ConfigMgr library and probe: cached"; exit 0
fi

packages=(build-essential cmake pkg-config libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
  nlohmann-json3-dev libcjson-dev libzmq3-dev golang-etcd-server-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then say "missing Debian packages: ${missing[*]} (install them as root)"; exit 1; fi
  say "apt-get install ${missing[*]}"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

say "building EII's ConfigMgr library and configmgr-probe (about 3.5 min on 2 cores; cached in tools/eii)"
scratch=$(mktemp -d "${TMPDIR:-/tmp}/eii-build.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
rm -f "$out/.source"
if [ ! -x "$out/bin/configmgr-probe" ] || [ "$(cat "$out/.shared-source" 2>/dev/null)" != "$shared_id" ]; then
  OUT="$out" BUILD="$scratch" "$shared/build.sh" >&2
  echo "$shared_id" >"$out/.shared-source"
fi
# Linked as configmgr-probe is (../shared/eii/build.sh step 4), with EII's message bus library too.
gcc -O2 -Wall -o "$out/bin/eii-msgbus-peer" "$here/msgbus-peer.c" -I"$out/include" -L"$out/lib" \
  -Wl,--disable-new-dtags,-rpath,"$out/lib" -leiiconfigmanager -leiimsgbus -leiimsgenv -leiiutils -lsafestring -lcjson
echo "$source_id" >"$out/.source"
say "built: $out/bin/configmgr-probe, $out/bin/eii-msgbus-peer"
