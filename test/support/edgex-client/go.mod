module edge-security.test/edgex-client

go 1.25.0

// Built by scripts/edgex/build.sh, which adds a `replace` for each ../shared/edgex/src/go-mod-* folder (the Go
// module proxy refuses github.com/edgexfoundry/*), as ../shared/edgex/build.sh does for the services.
require (
	github.com/edgexfoundry/go-mod-core-contracts/v4 v4.1.0-dev.43
	github.com/edgexfoundry/go-mod-secrets/v4 v4.1.0-dev.19
)
