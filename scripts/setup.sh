#!/usr/bin/env bash
# Idempotent set-up: npm packages, Debian tools, the Pulumi CLI and OpenBao built from the Go module proxy, and
# the dynamic-provider launcher. The first run builds (minutes); later runs reuse tools/ and the Go caches (seconds).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$EDGE_ROOT"
step() { printf '[setup] %s\n' "$*" >&2; }

# Node.js: @pulumi/pulumi 3.248.x is the last release that supports Node 20.
node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then step "Node.js 20 or newer is required (found $(node --version))"; exit 1; fi

if [ ! -d node_modules/@pulumi/pulumi ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # `npm install`, not `npm ci`: npm 11 writes a lock file without other platforms' optional packages
  # (rollup's) and then `npm ci` refuses it as out of sync. With a lock file that satisfies package.json,
  # `npm install` installs exactly the locked versions.
  step "npm install (locked versions)"
  npm install --no-audit --no-fund >&2
else
  step "npm packages: up to date"
fi

# Debian tools used by the tests and later components.
missing=()
command -v openssl >/dev/null || missing+=(openssl)
command -v etcd >/dev/null || missing+=(etcd-server)
command -v etcdctl >/dev/null || missing+=(etcd-client)
command -v nginx >/dev/null || missing+=(nginx-light) # the NGINX gateway (a private instance, scripts/servers/nginx.sh)
command -v wrk >/dev/null || missing+=(wrk)           # the gateway benchmark's load tool
command -v zstd >/dev/null || missing+=(zstd)         # opens the zstd checkpoints of a shared backend in the tests
[ -x /usr/sbin/mosquitto ] && command -v mosquitto_sub >/dev/null || missing+=(mosquitto mosquitto-clients) # the message bus (scripts/servers/mosquitto.sh)
# PostgreSQL's server binaries and psql: the tests' private clusters, and the demo's when none answers.
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null && command -v psql >/dev/null || missing+=(postgresql)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then step "missing Debian packages: ${missing[*]} (install them as root)"; exit 1; fi
  step "apt-get install ${missing[*]}"
  if [[ " ${missing[*]} " == *" postgresql "* ]] && [ ! -e /etc/postgresql-common/createcluster.conf ]; then
    # Only the binaries are wanted: no system cluster on 5432 (Debian's package would create and start one).
    mkdir -p /etc/postgresql-common && echo "create_main_cluster = false" >/etc/postgresql-common/createcluster.conf
  fi
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o Dpkg::Options::=--force-confold "${missing[@]}" >&2
else
  step "Debian tools: present"
fi

mkdir -p "$EDGE_TOOLS/bin" "$PULUMI_HOME"
PULUMI_VERSION="v$(node -p 'require("@pulumi/pulumi/package.json").version')"

pulumi_version_of() { "$1" version 2>/dev/null | tr -d '[:space:]'; }

if [ -x "$EDGE_TOOLS/bin/pulumi" ] && [ "$(pulumi_version_of "$EDGE_TOOLS/bin/pulumi")" = "$PULUMI_VERSION" ]; then
  step "pulumi $PULUMI_VERSION: cached"
elif other=$(PATH="${PATH#"$EDGE_TOOLS/bin:"}" command -v pulumi) && [ "$(pulumi_version_of "$other")" = "$PULUMI_VERSION" ]; then
  step "pulumi $PULUMI_VERSION: using $other"
  ln -sfn "$other" "$EDGE_TOOLS/bin/pulumi"
else
  # Built from the Go module proxy in a wrapper module (scripts/go/pulumi/build.sh), pinned by its go.sum.
  pinned=$(sed -n 's/^PULUMI_VERSION="\(.*\)"$/\1/p' scripts/go/pulumi/build.sh)
  if [ "$pinned" != "$PULUMI_VERSION" ]; then step "scripts/go/pulumi builds $pinned but @pulumi/pulumi is $PULUMI_VERSION: update the wrapper module (go.mod, go.sum, build.sh) with the SDK"; exit 1; fi
  step "building pulumi $PULUMI_VERSION from the Go module proxy (first time: several minutes)"
  bash scripts/go/pulumi/build.sh "$EDGE_TOOLS/bin" >&2
  step "pulumi $(pulumi_version_of "$EDGE_TOOLS/bin/pulumi") built"
fi

# The secret store server/CLI (OpenBao), built from the Go module proxy; see scripts/go/openbao/build.sh.
bash scripts/go/openbao/build.sh "$EDGE_TOOLS/bin" >&2
bash scripts/go/ferretdb/build.sh "$EDGE_TOOLS/bin" >&2 # FerretDB v1.24.2: the MongoDB-wire server of the demo and tests
bash scripts/eii/build.sh # EII's ConfigMgr library + configmgr-probe from ../shared/eii into tools/eii (the EII layout's tests)
bash scripts/edgex/build.sh "$EDGE_TOOLS/edgex" >&2 # unmodified EdgeX 4 services + the tests' go-mod-secrets client, from ../shared/edgex

# The CLI starts dynamic providers through this bundled plugin name and never downloads it: install the
# launcher that @pulumi/pulumi ships (it starts Node on the SDK's dynamic-provider host) with its run bit.
install -m 0755 node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs "$EDGE_TOOLS/bin/pulumi-resource-pulumi-nodejs"

# The Node.js language host, which `pulumi up` typed in this folder needs, and `--policy-pack` too (this CLI starts
# a TypeScript policy pack through the host's RunPlugin; the `pulumi-analyzer-policy` script it used to run has
# left the official distribution): a stock Pulumi install ships its own next to the CLI, and that one is kept. Otherwise install the project's own (bin/language-host.ts), marked so a
# later set-up knows it may rewrite it.
host="$EDGE_TOOLS/bin/pulumi-language-nodejs"
pulumi_dir=$(dirname "$(readlink -f "$EDGE_TOOLS/bin/pulumi")")
marker="# edge-security language host"
if [ -e "$pulumi_dir/pulumi-language-nodejs" ] && ! grep -qs "$marker" "$pulumi_dir/pulumi-language-nodejs"; then
  step "pulumi-language-nodejs: the official one in $pulumi_dir"
else
  tmp="$host.tmp.$$"
  cat >"$tmp" <<SH
#!/bin/sh
$marker (installed by scripts/setup.sh; a stock Pulumi install ships its own)
exec node --require "$(node -p 'require.resolve("tsx/cjs")')" "$EDGE_ROOT/bin/language-host.ts" "\$@"
SH
  chmod 0755 "$tmp" && mv "$tmp" "$host"
  step "pulumi-language-nodejs: the project's own (bin/language-host.ts)"
fi
bash scripts/go/language-nodejs/build.sh "$EDGE_TOOLS/stock" >&2 # a stock-install folder: the CLI with Pulumi's official host (from ../shared)
step "ready: $(pulumi_version_of "$EDGE_TOOLS/bin/pulumi"), node $(node --version)"
