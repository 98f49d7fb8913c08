module edge-security/tools/openbao

go 1.24.6

require (
	github.com/openbao/openbao v0.0.0-20250828202315-f9407a27fbee
	github.com/openbao/openbao/api/v2 v2.4.0
	github.com/openbao/openbao/sdk/v2 v2.4.0
)

replace (
	github.com/openbao/openbao/api/auth/approle/v2 v2.0.0 => github.com/openbao/openbao/api/auth/approle/v2 v2.0.1
	github.com/openbao/openbao/api/auth/userpass/v2 v2.0.0 => github.com/openbao/openbao/api/auth/userpass/v2 v2.0.1
)
