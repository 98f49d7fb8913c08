# Sourced by scripts/go/*/build.sh: the one way every Go build here gets its modules. Only the module proxy is
# reachable, so the checksum database is off and the committed go.sum of each wrapper module is the pin
# (-mod=readonly: a missing or different entry fails the build); the machine's own Go, never a toolchain download.
go_build_env() { # $1: the tool's name, for the error line
	command -v go >/dev/null 2>&1 || {
		echo "$1: go not found in PATH" >&2
		exit 1
	}
	export GOPROXY="${GOPROXY:-https://proxy.golang.org}"
	export GOSUMDB=off
	export GOFLAGS=-mod=readonly
	export GOTOOLCHAIN=local
}
