// edgex-client: what an EdgeX 4 service does with its secret store, through go-mod-secrets unmodified (the same
// calls go-mod-bootstrap makes at a service's start), for the EdgeX-layout tests.
//
// The store and the token file come from the environment, as for every EdgeX service: SECRETSTORE_HOST (localhost),
// SECRETSTORE_PORT (8200), SECRETSTORE_PROTOCOL (http), SECRETSTORE_ROOTCACERTPATH, SECRETSTORE_SERVERNAME,
// SECRETSTORE_TOKENFILE (/tmp/edgex/secrets/<service>/secrets-token.json).
//
// Usage: edgex-client <service> <command> [args]
//   secret <name>                 the service's secret <name> (GetSecret) as a JSON object
//   store <name> <key>=<value>... writes the service's secret <name> (StoreSecrets)
//   jwt                           the service's own JWT (GetSelfJWT)
//   valid <jwt>                   whether the store says a JWT is valid (IsJWTValid)
//   call <url> [self|none|<jwt>]  GET <url> with the service's own JWT (default), none, or the given one as Bearer
// Prints one JSON line on stdout ({"ok":true,...} or {"ok":false,"error":...}) and exits 0, or 1 on failure.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/edgexfoundry/go-mod-core-contracts/v4/clients/logger"
	"github.com/edgexfoundry/go-mod-secrets/v4/pkg/token/authtokenloader"
	"github.com/edgexfoundry/go-mod-secrets/v4/pkg/token/fileioperformer"
	"github.com/edgexfoundry/go-mod-secrets/v4/pkg/types"
	"github.com/edgexfoundry/go-mod-secrets/v4/secrets"
)

func env(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}

func done(result map[string]any, err error) {
	if err != nil {
		result = map[string]any{"ok": false, "error": err.Error()}
	} else {
		result["ok"] = true
	}
	line, _ := json.Marshal(result)
	fmt.Println(string(line))
	if err != nil {
		os.Exit(1)
	}
	os.Exit(0)
}

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: edgex-client <service> secret|store|jwt|valid|call ...")
		os.Exit(2)
	}
	service, command, args := os.Args[1], os.Args[2], os.Args[3:]
	port, err := strconv.Atoi(env("SECRETSTORE_PORT", "8200"))
	if err != nil {
		done(nil, fmt.Errorf("SECRETSTORE_PORT: %w", err))
	}
	// As go-mod-bootstrap's getSecretConfig: the token from the token file, base path /v1/secret/edgex/<service>.
	tokenFile := env("SECRETSTORE_TOKENFILE", "/tmp/edgex/secrets/"+service+"/secrets-token.json")
	token, err := authtokenloader.NewAuthTokenLoader(fileioperformer.NewDefaultFileIoPerformer()).Load(tokenFile)
	if err != nil {
		done(nil, fmt.Errorf("token file %s: %w", tokenFile, err))
	}
	config := types.SecretConfig{
		Type:           "openbao",
		Host:           env("SECRETSTORE_HOST", "localhost"),
		Port:           port,
		BasePath:       "/v1/secret/edgex/" + service,
		Protocol:       env("SECRETSTORE_PROTOCOL", "http"),
		RootCaCertPath: os.Getenv("SECRETSTORE_ROOTCACERTPATH"),
		ServerName:     os.Getenv("SECRETSTORE_SERVERNAME"),
		Authentication: types.AuthenticationInfo{AuthType: "X-Vault-Token", AuthToken: token},
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Logs (errors only) go to stdout in logfmt before the result line.
	client, err := secrets.NewSecretsClient(ctx, config, logger.NewClient("edgex-client", "ERROR"), nil)
	if err != nil {
		done(nil, fmt.Errorf("secret store client: %w", err))
	}

	switch command {
	case "secret":
		if len(args) != 1 {
			done(nil, fmt.Errorf("secret <name>"))
		}
		values, err := client.GetSecret(args[0])
		done(map[string]any{"secret": values}, err)
	case "store":
		if len(args) < 2 {
			done(nil, fmt.Errorf("store <name> <key>=<value>..."))
		}
		values := map[string]string{}
		for _, kv := range args[1:] {
			k, v, _ := strings.Cut(kv, "=")
			values[k] = v
		}
		done(map[string]any{}, client.StoreSecret(args[0], values))
	case "jwt":
		jwt, err := client.GetSelfJWT(service)
		done(map[string]any{"jwt": jwt}, err)
	case "valid":
		if len(args) != 1 {
			done(nil, fmt.Errorf("valid <jwt>"))
		}
		valid, err := client.IsJWTValid(args[0])
		done(map[string]any{"valid": valid}, err)
	case "call":
		if len(args) < 1 {
			done(nil, fmt.Errorf("call <url> [self|none|<jwt>]"))
		}
		bearer := "self"
		if len(args) > 1 {
			bearer = args[1]
		}
		if bearer == "self" {
			if bearer, err = client.GetSelfJWT(service); err != nil {
				done(nil, fmt.Errorf("GetSelfJWT: %w", err))
			}
		}
		req, err := http.NewRequest(http.MethodGet, args[0], nil)
		if err != nil {
			done(nil, err)
		}
		if bearer != "none" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		res, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
		if err != nil {
			done(nil, err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		done(map[string]any{"status": res.StatusCode, "body": string(body)}, nil)
	default:
		done(nil, fmt.Errorf("unknown command %q", command))
	}
}
