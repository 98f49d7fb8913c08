module edge-security.test/edgex-client

go 1.25.0

// Built by scripts/edgex/build.sh, which adds a `replace` for each ../shared/edgex/src/go-mod-* folder (the Go
// module proxy refuses github.com/edgexfoundry/*), as ../shared/edgex/build.sh does for the services.
require (
	github.com/edgexfoundry/go-mod-core-contracts/v4 v4.1.0-dev.43
	github.com/edgexfoundry/go-mod-secrets/v4 v4.1.0-dev.19
)

require (
	github.com/gabriel-vasile/mimetype v1.4.13 // indirect
	github.com/go-kit/log v0.2.1 // indirect
	github.com/go-logfmt/logfmt v0.5.1 // indirect
	github.com/go-playground/locales v0.14.1 // indirect
	github.com/go-playground/universal-translator v0.18.1 // indirect
	github.com/go-playground/validator/v10 v10.30.3 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/leodido/go-urn v1.4.0 // indirect
	golang.org/x/crypto v0.52.0 // indirect
	golang.org/x/sys v0.45.0 // indirect
	golang.org/x/text v0.37.0 // indirect
)
