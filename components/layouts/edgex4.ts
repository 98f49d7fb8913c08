// The EdgeX 4 layout: what makes a node EdgeX-shaped, in one place. It maps the stack's config to the concerns'
// generic settings so that unmodified EdgeX 4 services (go-mod-bootstrap + go-mod-secrets) find the secret store
// exactly as EdgeX's own security-secretstore-setup and security-file-token-provider leave it
// (../shared/contracts/edgex-4.md sections 1a-1d; EdgeX file and line cited there):
// - KV version 1 mounted at `secret/`, each service's secrets at secret/edgex/<service>/<name>;
// - per service the policy `edgex-service-<service>` (its KV path, its own identity token, introspection), an
//   identity entity, a userpass login (token period 1h unless edgex.tokenPeriod says otherwise), an alias, the OIDC
//   role `<service>` (key edgex-identity ES384, client id edgex, 15 min, claim {"name"}), a token role; the token file
//   is the login response (auth.client_token, auth.entity_id);
// - identity tokens whose `iss` is "/v1/identity/oidc" (the store's issuer left empty), so EdgeX services check
//   each other's JWTs by introspection;
// - the known secrets: `postgres` per database service (EdgeX's usernames) with the bootstrapper's copy, one
//   `message-bus` password (user msgbususer) for the bus clients, `redisdb` where asked.
// No concern knows the word EdgeX: they are told a KV version, policies, an identity shape and named entries.
import { z } from "zod";
import type { KnownSecretSpec, SecretStoreConfig, ServiceAccess } from "../secret-store/config";
import type { LayoutIdentity } from "../gateway/nginx/component";
import type { MessageBusConfig } from "../message-bus/config";

export const EDGEX_KV_MOUNT = "secret";
export const EDGEX_PATH_PREFIX = "edgex";
/** The `iss` claim go-mod-bootstrap sends to OpenBao introspection (GB bootstrap/handlers/constants.go:9). */
export const EDGEX_ISSUER_CLAIM = "/v1/identity/oidc";

/** security-secretstore-setup's Databases section: service key → PostgreSQL username (res/configuration.yaml:41-64). */
export const EDGEX_DATABASE_USERNAMES: Record<string, string> = {
  "core-data": "core_data",
  "core-metadata": "core_metadata",
  "core-keeper": "core_keeper",
  "support-notifications": "support_notifications",
  "support-scheduler": "support_scheduler",
  "security-proxy-auth": "security_proxy_auth",
};

/** SecureMessageBus.Services (res/configuration.yaml:65-83): the bus clients that get `message-bus`. */
export const EDGEX_BUS_CLIENTS = ["core-command", "core-metadata", "core-data", "core-keeper", "app-rules-engine", "support-notifications", "support-scheduler"];

export const MESSAGE_BUS_USERNAME = "msgbususer";
export const REDIS_USERNAME = "default";

// EdgeX service keys: lower-case letters and digits in '-'-separated words (also a PostgreSQL user, an OIDC role,
// a token role and a KV path segment).
const SERVICE_KEY = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const serviceKey = z.string().refine((s) => SERVICE_KEY.test(s) && s.length <= 63, (s) => ({ message: `${JSON.stringify(s)} is not an EdgeX service key (lower-case letters, digits and '-', at most 63 characters)` }));
const duration = z.string().regex(/^\d+[smh]$/, "must be a duration such as 1h, 90m or 3600s");

/** EdgeX's regeneration endpoint: go-mod-bootstrap's default client (GB config/types.go:158-166). */
export const EDGEX_TOKEN_RECOVERY_PORT = 59843;
/** The service key whose client go-mod-bootstrap calls (CLIENTS_SECURITY_SECRETSTORE_SETUP_HOST/PORT override it). */
export const EDGEX_TOKEN_RECOVERY_SERVICE = "security-secretstore-setup";

const tokenRecoverySchema = z
  .object({
    host: z.string().min(1).default("127.0.0.1"),
    port: z.number().int().min(1).max(65535).default(EDGEX_TOKEN_RECOVERY_PORT),
    // Where the service may log in from and use its token (its AppRole's bound CIDRs).
    boundCidrs: z.array(z.string().regex(/^[0-9a-fA-F.:]+\/\d{1,3}$/, "must be a CIDR such as 127.0.0.1/32")).min(1).default(["127.0.0.1/32"]),
  })
  .strict();

export const edgexSchema = z
  .object({
    // EDGEX_ADD_SECRETSTORE_TOKENS: services that get a token beyond those in `services` (each is added to services).
    addSecretstoreTokens: z.array(serviceKey).default([]),
    // EDGEX_ADD_KNOWN_SECRETS: postgres[svc], message-bus[svc], redisdb[svc].
    addKnownSecrets: z
      .object({ postgres: z.array(serviceKey).default([]), "message-bus": z.array(serviceKey).default([]), redisdb: z.array(serviceKey).default([]) })
      .strict()
      .default({}),
    // DefaultTokenTTL of the file token provider: the period of every service token.
    tokenPeriod: duration.default("1h"),
    // SecureMessageBus.Type mqtt (compose's default): the bus clients get `message-bus`. false: none.
    secureMessageBus: z.boolean().default(true),
    // The token recovery service (EdgeX's regeneration endpoint on security-secretstore-setup :59843): absent, none.
    tokenRecovery: tokenRecoverySchema.optional(),
  })
  .strict()
  .default({});

export type EdgexConfig = z.infer<typeof edgexSchema>;

/** The policy of an EdgeX service (EG internal/security/common/tokenpolicy.go:19-53). */
export function edgexServicePolicy(service: string): string {
  return [
    `path "${EDGEX_KV_MOUNT}/${EDGEX_PATH_PREFIX}/${service}/*" {\n  capabilities = ["create", "update", "delete", "list", "read"]\n}`,
    `path "identity/oidc/token/${service}" {\n  capabilities = ["read"]\n}`,
    `path "identity/oidc/introspect" {\n  capabilities = ["create", "update"]\n}`,
  ].join("\n");
}

type Fail = (path: (string | number)[], message: string) => never;

/** EdgeX 4's PostgreSQL layout (security-bootstrapper configurePostgres, EG bs/helper/postgres_script.go:32-53). */
export const EDGEX_DATABASE = "edgex_db";
export const EDGEX_DATABASE_GROUP = "edgex_user";

/** The services that get `postgres` (and so a login role and schema in edgex_db), in order. */
export function edgexPostgresServices(serviceNames: readonly string[], addedPostgres: readonly string[]): string[] {
  return [...new Set([...serviceNames.filter((s) => EDGEX_DATABASE_USERNAMES[s] !== undefined), ...addedPostgres])];
}

/**
 * The stack's raw `databases` section as the layout completes it, before it is validated: PostgreSQL in EdgeX's
 * shape (one database edgex_db, the group edgex_user, per postgres service a login role and a schema of its name),
 * from the server settings the stack gives (host, port, admin). `raw` is the stack's whole raw config.
 */
export function edgexRawDatabases(raw: Record<string, any>, fail: Fail): unknown {
  const databases = raw.databases;
  if (databases === undefined || typeof databases !== "object" || databases === null) return databases;
  if (databases.mongo !== undefined) fail(["databases", "mongo"], "is not used with layout edgex4 (EdgeX 4 services use PostgreSQL)");
  const pg = databases.postgres;
  if (pg === undefined || typeof pg !== "object" || pg === null) return databases;
  for (const key of ["gateway", "services", "sharedDatabase"]) {
    if (pg[key] !== undefined) fail(["databases", "postgres", key], `is set by layout edgex4 (one database ${EDGEX_DATABASE}, a schema per service); leave it out`);
  }
  const names = [...(Array.isArray(raw.services) ? raw.services : []).map((s: any) => s?.name), ...(raw.edgex?.addSecretstoreTokens ?? [])].filter((n): n is string => typeof n === "string");
  const services = edgexPostgresServices(names, Array.isArray(raw.edgex?.addKnownSecrets?.postgres) ? raw.edgex.addKnownSecrets.postgres : []);
  if (services.length === 0) fail(["databases", "postgres"], `no service uses PostgreSQL (${Object.keys(EDGEX_DATABASE_USERNAMES).join(", ")}, or edgex.addKnownSecrets.postgres)`);
  return { ...databases, postgres: { ...pg, sharedDatabase: { name: EDGEX_DATABASE, group: EDGEX_DATABASE_GROUP, services: services.map((service) => ({ service })) } } };
}

/** The services the layout adds to `services` (EDGEX_ADD_SECRETSTORE_TOKENS not already listed). */
export function edgexExtraServices(edgex: EdgexConfig, serviceNames: string[]): string[] {
  return [...new Set(edgex.addSecretstoreTokens)].filter((s) => !serviceNames.includes(s));
}

/**
 * The secret store's settings for the EdgeX 4 layout. `store` is the parsed secretStore section, `raw` what the
 * stack wrote in it (to tell a default from a choice), `services` every service but none of the store's own.
 */
export function edgexSecretStore(edgex: EdgexConfig, store: SecretStoreConfig, raw: Record<string, unknown>, services: { name: string; index?: number; rotation?: { password?: number } }[], fail: Fail): SecretStoreConfig {
  if (raw.kvMount !== undefined && store.kvMount !== EDGEX_KV_MOUNT) fail(["secretStore", "kvMount"], `must be "${EDGEX_KV_MOUNT}" (or unset) with layout edgex4: EdgeX services read ${EDGEX_KV_MOUNT}/${EDGEX_PATH_PREFIX}/<service>`);
  if (raw.pathPrefix !== undefined && store.pathPrefix !== EDGEX_PATH_PREFIX) fail(["secretStore", "pathPrefix"], `must be "${EDGEX_PATH_PREFIX}" (or unset) with layout edgex4: EdgeX services read ${EDGEX_KV_MOUNT}/${EDGEX_PATH_PREFIX}/<service>`);
  if (raw.tokenPeriod !== undefined) fail(["secretStore", "tokenPeriod"], "is edgex.tokenPeriod with layout edgex4 (EdgeX's default: 1h)");
  const seconds = (d: string): number => Number(d.slice(0, -1)) * { s: 1, m: 60, h: 3600 }[d.slice(-1) as "s" | "m" | "h"];
  if (store.tokenRenewBefore !== undefined && seconds(store.tokenRenewBefore) >= seconds(edgex.tokenPeriod)) fail(["secretStore", "tokenRenewBefore"], `must be shorter than edgex.tokenPeriod (${edgex.tokenPeriod}), or every token would be renewed on every run`);
  if (Object.keys(store.dbUsernames).length > 0) fail(["secretStore", "dbUsernames"], "is not used with layout edgex4: EdgeX's own usernames apply (the service key for edgex.addKnownSecrets.postgres)");
  const names = services.map((s) => s.name);
  services.forEach((s) => {
    if (!SERVICE_KEY.test(s.name)) fail(s.index === undefined ? ["services"] : ["services", s.index, "name"], `${JSON.stringify(s.name)} is not an EdgeX service key (lower-case letters, digits and '-'): with layout edgex4 each service's name is its key in the secret store`);
  });
  for (const kind of ["postgres", "message-bus", "redisdb"] as const) {
    edgex.addKnownSecrets[kind].forEach((s, i) => {
      if (!names.includes(s)) fail(["edgex", "addKnownSecrets", kind, i], `${JSON.stringify(s)} is not in services (nor edgex.addSecretstoreTokens): only a service with a token can read it`);
    });
  }

  const rotationOf = (service: string): number | undefined => services.find((s) => s.name === service)?.rotation?.password;
  const path = (service: string, name: string): string => `${EDGEX_PATH_PREFIX}/${service}/${name}`;
  const knownSecrets: KnownSecretSpec[] = [];

  // postgres: EdgeX's database services present here, with their usernames; added services with their key.
  const postgres = new Map(edgexPostgresServices(names, edgex.addKnownSecrets.postgres).map((s) => [s, EDGEX_DATABASE_USERNAMES[s] ?? s]));
  // The superuser's name is the bootstrapper's (security-bootstrapper-postgres/postgres): no service may take it.
  const owners = new Map<string, string>([["postgres", "the PostgreSQL superuser"]]);
  for (const [service, username] of postgres) {
    const other = owners.get(username);
    if (other !== undefined) fail(["edgex", "addKnownSecrets", "postgres"], `${JSON.stringify(service)} would get the PostgreSQL username ${JSON.stringify(username)}, which is already ${other === "the PostgreSQL superuser" ? other : JSON.stringify(other)}'s`);
    owners.set(username, service);
    const rotation = rotationOf(service);
    knownSecrets.push({ id: `${service}-postgres-secret`, username, paths: [path(service, "postgres"), path("security-bootstrapper-postgres", `${service}/postgres`)], dbCredentialsOf: service, ...(rotation ? { rotation } : {}) });
  }
  // message-bus: one password for every bus client, and the broker bootstrapper's copy.
  const bus = [...new Set([...(edgex.secureMessageBus ? EDGEX_BUS_CLIENTS.filter((s) => names.includes(s)) : []), ...edgex.addKnownSecrets["message-bus"]])];
  if (bus.length > 0) knownSecrets.push({ id: "message-bus-secret", username: MESSAGE_BUS_USERNAME, paths: [...bus.map((s) => path(s, "message-bus")), path("security-bootstrapper-messagebus", "message-bus")] });
  // redisdb: only where asked (the PostgreSQL default does not read it); one password, and the bootstrapper's copy.
  const redis = [...new Set(edgex.addKnownSecrets.redisdb)];
  if (redis.length > 0) knownSecrets.push({ id: "redisdb-secret", username: REDIS_USERNAME, paths: [...redis.map((s) => path(s, "redisdb")), path("security-bootstrapper-redis", "redisdb")] });

  const access: ServiceAccess = {
    kvVersion: "1",
    tokenPeriod: edgex.tokenPeriod,
    userpassPath: "userpass",
    oidcKey: { name: "edgex-identity", algorithm: "ES384" },
    issuerClaim: EDGEX_ISSUER_CLAIM,
    services: Object.fromEntries(
      names.map((service) => [
        service,
        {
          policyName: `edgex-service-${service}`,
          policy: edgexServicePolicy(service),
          checkPath: `${EDGEX_PATH_PREFIX}/${service}/check`,
          oidcRole: { clientId: "edgex", ttlSeconds: 15 * 60, template: JSON.stringify({ name: service }) },
          tokenRole: true,
        },
      ]),
    ),
    knownSecrets,
    ...edgexTokenRecovery(edgex),
  };
  // The gateway's certificate is not stored by this layout (EdgeX's proxy-setup keeps it in files: part 2).
  return { ...store, kvMount: EDGEX_KV_MOUNT, pathPrefix: EDGEX_PATH_PREFIX, gatewayService: undefined, access };
}

/** The token recovery service's settings in the store, when edgex.tokenRecovery is set (docs/edgex.md "Token recovery"). */
function edgexTokenRecovery(edgex: EdgexConfig): Pick<ServiceAccess, "tokenRecovery"> {
  const r = edgex.tokenRecovery;
  if (!r) return {};
  return { tokenRecovery: { appRolePath: "approle", roleName: EDGEX_TOKEN_RECOVERY_SERVICE, policyName: "edgex-token-recovery", boundCidrs: r.boundCidrs, listenHost: r.host, port: r.port, folder: EDGEX_TOKEN_RECOVERY_SERVICE } };
}

// ---- The gateway in EdgeX 4's shape (contract 1f): NGINX only (security-proxy-setup writes NGINX's
// configuration; EdgeX 4 has no Kong), on the store's identity engine (userpass mount `userpass`, key
// edgex-identity, `iss` /v1/identity/oidc), users made as `secrets-config proxy adduser` makes them, and the
// request check by introspection at the store, as security-proxy-auth does.

/** The policy name of a gateway user (EG internal/security/config/command/proxy/shared/proxyuser.go:31-35). */
export function edgexUserPolicyName(user: string): string {
  return `edgex-user-${user}`;
}

/**
 * A gateway user as `secrets-config proxy adduser --user <u>` makes one: the service-style policy
 * `edgex-user-<u>`, claims {"name": "<u>"} (and the user's `groups` for routes that name groups: an addition),
 * periodic tokens of the layout's period.
 */
export function edgexGatewayUser(tokenPeriod: string, user: string, groups: string[]): { policyName: string; policy: string; oidcTemplate: string; tokenPeriod: string } {
  return {
    policyName: edgexUserPolicyName(user),
    policy: edgexServicePolicy(user),
    oidcTemplate: JSON.stringify(groups.length > 0 ? { name: user, groups } : { name: user }),
    tokenPeriod,
  };
}

/**
 * The NGINX gateway's identity under this layout: the store's engine (mount `userpass`, key edgex-identity, `iss`
 * /v1/identity/oidc), users as adduser makes them, introspection with the gateway service's own token (its policy
 * edgex-service-<svc> allows identity/oidc/introspect), its certificate from the node's PKI (EdgeX's proxy-setup
 * keeps it in files).
 */
export function edgexNginxIdentity(args: Omit<LayoutIdentity, "userpassPath" | "keyName" | "issuerClaim" | "user"> & { tokenPeriod: string }): LayoutIdentity {
  const { tokenPeriod, ...rest } = args;
  return { ...rest, userpassPath: "userpass", keyName: "edgex-identity", issuerClaim: EDGEX_ISSUER_CLAIM, user: (name, groups) => edgexGatewayUser(tokenPeriod, name, groups) };
}

/**
 * Checks the raw `gateway` section for layout edgex4 (before the gateway is resolved): NGINX only; the identity
 * settings are the layout's; a user may not take a service's name (both are entities and userpass logins); the
 * gateway service must have a store token (the auth service introspects with it).
 */
export function edgexGatewayProblem(gateway: { kind: string; service?: string; nginx?: { users?: { name: string }[]; userpassPath?: string; keyName?: string; keyAlgorithm?: string } }, rawNginx: Record<string, unknown> | undefined, services: string[], storeService: string, fail: Fail): void {
  if (gateway.kind !== "nginx") fail(["gateway", "kind"], `must be "nginx" with layout edgex4 (EdgeX 4's gateway is NGINX, set up by security-proxy-setup)`);
  for (const key of ["userpassPath", "keyName", "keyAlgorithm"]) {
    if (rawNginx?.[key] !== undefined) fail(["gateway", "nginx", key], `is set by layout edgex4 (userpass, key edgex-identity ES384: EdgeX's); leave it out`);
  }
  const service = gateway.service ?? gateway.kind;
  if (service === storeService) fail(["gateway", "service"], "must not be the secret store's own service with layout edgex4 (the gateway's auth service uses its store token)");
  (gateway.nginx?.users ?? []).forEach((u, i) => {
    if (services.includes(u.name)) fail(["gateway", "nginx", "users", i, "name"], `${JSON.stringify(u.name)} is a service's name: with layout edgex4 users and services share the store's entities and userpass logins`);
  });
}

// ---- The message bus (EdgeX's mosquitto + its security-bootstrapper step, EG bs/mosquitto/handlers/handlers.go:53-113):
// the broker's one user is the `message-bus` secret (msgbususer), the same pair every bus client reads.
export const EDGEX_BUS_SECRET_ID = "message-bus-secret";

/**
 * The broker's users with this layout: the store's `message-bus` secret. With TLS the secret also carries the node
 * CA as `cacert`, which go-mod-bootstrap passes to the MQTT client with AuthMode usernamepassword too (GB
 * bootstrap/messaging/messaging.go:114-124,101-103): the one way to give unmodified services the CA, since an
 * environment override only sets keys their configuration already has, and Optional.CaFile is not one of them.
 */
export function edgexMessageBus(bus: Omit<MessageBusConfig, "users">, store: SecretStoreConfig, fail: Fail): { messageBus: MessageBusConfig; secretStore: SecretStoreConfig } {
  const access = store.access!;
  if (!access.knownSecrets.some((s) => s.id === EDGEX_BUS_SECRET_ID)) {
    fail(["messageBus"], `no service gets the message-bus secret (EdgeX's bus clients: ${EDGEX_BUS_CLIENTS.join(", ")}; or edgex.addKnownSecrets.message-bus; edgex.secureMessageBus must not be false)`);
  }
  const knownSecrets = access.knownSecrets.map((s) => (s.id === EDGEX_BUS_SECRET_ID && bus.tls ? { ...s, caCertKey: "cacert" } : s));
  return { messageBus: { ...bus, users: [{ secretId: EDGEX_BUS_SECRET_ID }] }, secretStore: { ...store, access: { ...access, knownSecrets } } };
}

/**
 * What a bus client reads (go-mod-bootstrap's MessageBus section, overridden by environment as compose does,
 * EC docker-compose.yml:208-210): the broker's address, usernamepassword with the `message-bus` secret (which, with
 * TLS, carries the node CA as `cacert`: the MQTT client checks the broker's certificate against it, by the host).
 */
export function edgexBusEnv(bus: { host: string; port: number; tls: boolean }): Record<string, string> {
  return {
    MESSAGEBUS_TYPE: "mqtt",
    MESSAGEBUS_PROTOCOL: bus.tls ? "tls" : "tcp",
    MESSAGEBUS_HOST: bus.host,
    MESSAGEBUS_PORT: String(bus.port),
    MESSAGEBUS_AUTHMODE: "usernamepassword",
    MESSAGEBUS_SECRETNAME: "message-bus",
  };
}

// ---- Containers and env files: per EdgeX service, the settings compose gives it (EC docker-compose.yml, each
// service's `environment`), with this node's addresses: the store (SECRETSTORE_*, go-mod-secrets ob/client.go:73-99),
// the database (DATABASE_*), the bus (MESSAGEBUS_*), and its folder mounted at `mount` (its token file, the node CA).
export const EDGEX_SECRETS_MOUNT = "/tmp/edgex/secrets";
export const EDGEX_ENV_FILE = "edgex.env";

export interface EdgexNodeAddresses {
  /** The secret store's URL (secretStore.address). */
  store: string;
  /** A name in the store's certificate, when the store's host is an IP address clients cannot check by name. */
  storeServerName?: string;
  database?: { host: string; port: number };
  bus?: { host: string; port: number; tls: boolean };
  /** The token recovery service (edgex.tokenRecovery): where go-mod-bootstrap calls security-secretstore-setup. */
  tokenRecovery?: { host: string; port: number };
}

/** A service's settings; `folder` is its folder as the service sees it (e.g. /tmp/edgex/secrets/core-data). */
export function edgexServiceEnv(node: EdgexNodeAddresses, folder: string): Record<string, string> {
  const store = new URL(node.store);
  return {
    EDGEX_SECURITY_SECRET_STORE: "true",
    SECRETSTORE_HOST: store.hostname.replace(/^\[|\]$/g, ""),
    SECRETSTORE_PORT: store.port || (store.protocol === "https:" ? "443" : "80"),
    SECRETSTORE_PROTOCOL: store.protocol.replace(/:$/, ""),
    SECRETSTORE_TOKENFILE: `${folder}/secrets-token.json`,
    ...(store.protocol === "https:" ? { SECRETSTORE_ROOTCACERTPATH: `${folder}/ca.pem` } : {}),
    ...(node.storeServerName ? { SECRETSTORE_SERVERNAME: node.storeServerName } : {}),
    ...(node.database ? { DATABASE_HOST: node.database.host, DATABASE_PORT: String(node.database.port) } : {}),
    ...(node.bus ? edgexBusEnv(node.bus) : {}),
    // The regeneration endpoint a service calls when the store refuses its token (GB config/types.go:158-166).
    ...(node.tokenRecovery ? { CLIENTS_SECURITY_SECRETSTORE_SETUP_HOST: node.tokenRecovery.host, CLIENTS_SECURITY_SECRETSTORE_SETUP_PORT: String(node.tokenRecovery.port) } : {}),
  };
}

/** The env file compose's `env_file` reads: KEY=value lines, sorted (no secret: paths and addresses only). */
export function envFileContent(env: Record<string, string>): string {
  return Object.entries(env).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${v}`).join("\n") + "\n";
}
