// The EdgeX 4 layout as the stack config selects it: what it tells the secret store, and one-line refusals of
// what EdgeX services cannot use (before anything is registered).
import { describe, expect, it } from "vitest";
import { ConfigError, parseNodeConfig } from "../node-config";

const base = (extra: Record<string, unknown> = {}, services = ["secretstore", "core-data", "core-keeper", "core-command", "device-virtual"]) => ({
  layout: "edgex4",
  services: services.map((name) => ({ name })),
  secretStore: {},
  ...extra,
});

function oneLine(raw: Record<string, unknown>): string {
  try {
    parseNodeConfig(raw);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).not.toMatch(/[\r\n]/);
    return (err as Error).message;
  }
  throw new Error("expected a ConfigError");
}

describe("layout edgex4", () => {
  it("is off by default: existing stacks keep this project's own store shape", () => {
    const config = parseNodeConfig({ services: [{ name: "secretstore" }, { name: "core-data" }], secretStore: {} });
    expect(config.layout).toBe("default");
    expect(config.secretStore!.access).toBeUndefined();
  });

  it("tells the store: KV v1 at secret/, EdgeX's policy, identity and OIDC role per service, token period 1h", () => {
    const store = parseNodeConfig(base()).secretStore!;
    expect(store.kvMount).toBe("secret");
    expect(store.pathPrefix).toBe("edgex");
    expect(store.access).toMatchObject({ kvVersion: "1", tokenPeriod: "1h", userpassPath: "userpass", oidcKey: { name: "edgex-identity", algorithm: "ES384" }, issuerClaim: "/v1/identity/oidc" });
    expect(Object.keys(store.access!.services).sort()).toEqual(["core-command", "core-data", "core-keeper", "device-virtual"]);
    const coreData = store.access!.services["core-data"];
    expect(coreData.policyName).toBe("edgex-service-core-data");
    expect(coreData.policy).toBe(
      'path "secret/edgex/core-data/*" {\n  capabilities = ["create", "update", "delete", "list", "read"]\n}\npath "identity/oidc/token/core-data" {\n  capabilities = ["read"]\n}\npath "identity/oidc/introspect" {\n  capabilities = ["create", "update"]\n}',
    );
    expect(coreData.oidcRole).toEqual({ clientId: "edgex", ttlSeconds: 900, template: '{"name":"core-data"}' });
    expect(coreData.tokenRole).toBe(true);
  });

  it("makes EdgeX's known secrets: postgres per database service with its username and the bootstrapper's copy, one message-bus, redisdb where asked", () => {
    const store = parseNodeConfig(base({ edgex: { addSecretstoreTokens: ["device-rest"], addKnownSecrets: { postgres: ["device-virtual"], "message-bus": ["device-rest"], redisdb: ["core-data"] } } })).secretStore!;
    expect(store.access!.knownSecrets).toEqual([
      { id: "core-data-postgres-secret", username: "core_data", paths: ["edgex/core-data/postgres", "edgex/security-bootstrapper-postgres/core-data/postgres"], dbCredentialsOf: "core-data" },
      { id: "core-keeper-postgres-secret", username: "core_keeper", paths: ["edgex/core-keeper/postgres", "edgex/security-bootstrapper-postgres/core-keeper/postgres"], dbCredentialsOf: "core-keeper" },
      { id: "device-virtual-postgres-secret", username: "device-virtual", paths: ["edgex/device-virtual/postgres", "edgex/security-bootstrapper-postgres/device-virtual/postgres"], dbCredentialsOf: "device-virtual" },
      { id: "message-bus-secret", username: "msgbususer", paths: ["edgex/core-command/message-bus", "edgex/core-data/message-bus", "edgex/core-keeper/message-bus", "edgex/device-rest/message-bus", "edgex/security-bootstrapper-messagebus/message-bus"] },
      { id: "redisdb-secret", username: "default", paths: ["edgex/core-data/redisdb", "edgex/security-bootstrapper-redis/redisdb"] },
    ]);
  });

  it("token recovery: none unless edgex.tokenRecovery is set; then EdgeX's port 59843 on loopback, an AppRole bound to loopback", () => {
    expect(parseNodeConfig(base()).secretStore!.access!.tokenRecovery).toBeUndefined();
    expect(parseNodeConfig(base({ edgex: { tokenRecovery: {} } })).secretStore!.access!.tokenRecovery).toEqual({
      appRolePath: "approle",
      roleName: "security-secretstore-setup",
      policyName: "edgex-token-recovery",
      boundCidrs: ["127.0.0.1/32"],
      listenHost: "127.0.0.1",
      port: 59843,
      folder: "security-secretstore-setup",
    });
    expect(oneLine(base({ edgex: { tokenRecovery: { port: 70000 } } }))).toMatch(/^edge-security:edgex\.tokenRecovery\.port: /);
    expect(oneLine(base({ edgex: { tokenRecovery: { boundCidrs: ["localhost"] } } }))).toMatch(/^edge-security:edgex\.tokenRecovery\.boundCidrs\[0\]: must be a CIDR/);
  });

  it("adds EDGEX_ADD_SECRETSTORE_TOKENS' services to the node's services", () => {
    const config = parseNodeConfig(base({ edgex: { addSecretstoreTokens: ["device-rest", "core-data"] } }));
    expect(config.services.map((s) => s.name)).toEqual(["secretstore", "core-data", "core-keeper", "core-command", "device-virtual", "device-rest"]);
    expect(config.secretStore!.access!.services["device-rest"].policyName).toBe("edgex-service-device-rest");
  });

  it("puts PostgreSQL in EdgeX's shape: edgex_db, group edgex_user, a login role and schema per postgres service", () => {
    const databases = { postgres: { host: "127.0.0.1", port: 5432, adminUser: "postgres" } };
    const config = parseNodeConfig(base({ databases, edgex: { addKnownSecrets: { postgres: ["device-virtual"] } } }));
    expect(config.databases!.postgres!.sharedDatabase).toEqual({ name: "edgex_db", group: "edgex_user", services: ["core-data", "core-keeper", "device-virtual"] });
    expect(config.databases!.postgres!.gateway).toBeUndefined();
    expect(oneLine(base({ databases: { postgres: { ...databases.postgres, gateway: { service: "core-data" } } } }))).toMatch(/^edge-security:databases\.postgres\.gateway: is set by layout edgex4/);
    expect(oneLine(base({ databases: { ...databases, mongo: {} } }))).toMatch(/^edge-security:databases\.mongo: is not used with layout edgex4/);
    expect(oneLine(base({ databases }, ["secretstore", "core-command"]))).toMatch(/^edge-security:databases\.postgres: no service uses PostgreSQL/);
  });

  it("refuses, in one line naming the input: a service name EdgeX cannot use, a username collision, another KV mount, settings of the default layout", () => {
    expect(oneLine(base({}, ["secretstore", "Core-Data"]))).toMatch(/^edge-security:services\[1\]\.name: "Core-Data" is not an EdgeX service key/);
    expect(oneLine(base({ edgex: { addSecretstoreTokens: ["bad.name"] } }))).toMatch(/^edge-security:edgex\.addSecretstoreTokens\[0\]: "bad\.name" is not an EdgeX service key/);
    expect(oneLine(base({ edgex: { addKnownSecrets: { postgres: ["core_data"] } } }, ["secretstore", "core-data"]))).toMatch(/^edge-security:edgex\.addKnownSecrets\.postgres\[0\]: "core_data" is not an EdgeX service key/);
    expect(oneLine(base({ edgex: { addKnownSecrets: { postgres: ["core-datax"] } } }, ["secretstore", "core-data"]))).toMatch(/^edge-security:edgex\.addKnownSecrets\.postgres\[0\]: "core-datax" is not in services/);
    // An added service's username is its key: "postgres" would be the database superuser.
    expect(oneLine(base({ edgex: { addKnownSecrets: { postgres: ["postgres"] } } }, ["secretstore", "postgres"]))).toMatch(/^edge-security:edgex\.addKnownSecrets\.postgres: "postgres" would get the PostgreSQL username "postgres", which is already the PostgreSQL superuser's/);
    expect(oneLine(base({ secretStore: { kvMount: "kv" } }))).toMatch(/^edge-security:secretStore\.kvMount: must be "secret"/);
    expect(oneLine(base({ secretStore: { tokenPeriod: "24h" } }))).toMatch(/^edge-security:secretStore\.tokenPeriod: is edgex\.tokenPeriod with layout edgex4/);
    expect(oneLine(base({ secretStore: { tokenRenewBefore: "2h" } }))).toMatch(/^edge-security:secretStore\.tokenRenewBefore: must be shorter than edgex\.tokenPeriod \(1h\)/);
    expect(oneLine({ ...base(), secretStore: undefined })).toMatch(/^edge-security:secretStore: is required with layout edgex4/);
    expect(oneLine({ services: [{ name: "a" }], edgex: {} })).toMatch(/^edge-security:edgex: is read only with edge-security:layout edgex4/);
    expect(oneLine(base({ layout: "edgex3" }))).toMatch(/^edge-security:layout: must be one of default, edgex4/);
  });
});

describe("layout edgex4: the message bus", () => {
  const services = ["secretstore", "mqtt-broker", "core-data", "core-metadata"];
  it("gives the broker one user, the store's message-bus secret, on loopback with TLS by default", () => {
    const config = parseNodeConfig(base({ messageBus: { service: "mqtt-broker" } }, services));
    expect(config.messageBus).toEqual({ service: "mqtt-broker", host: "127.0.0.1", port: 8883, tls: true, topics: ["#"], users: [{ secretId: "message-bus-secret" }] });
    // With TLS the secret also carries the node CA as `cacert` (what go-mod-bootstrap gives the MQTT client).
    expect(config.secretStore!.access!.knownSecrets.find((s) => s.id === "message-bus-secret")).toMatchObject({ username: "msgbususer", caCertKey: "cacert" });
    const plain = parseNodeConfig(base({ messageBus: { service: "mqtt-broker", tls: false } }, services));
    expect(plain.secretStore!.access!.knownSecrets.find((s) => s.id === "message-bus-secret")!.caCertKey).toBeUndefined();
  });

  it("refuses, in one line: a broker not in services, an address not in its certificate, no bus client, another layout", () => {
    expect(oneLine(base({ messageBus: { service: "broker" } }, services))).toMatch(/^edge-security:messageBus\.service: "broker" is not in services/);
    expect(oneLine(base({ messageBus: { service: "mqtt-broker", host: "172.17.0.1" } }, services))).toMatch(/^edge-security:messageBus\.host: "172\.17\.0\.1" is not in mqtt-broker's certificate/);
    expect(oneLine(base({ messageBus: { service: "mqtt-broker" } }, ["secretstore", "mqtt-broker", "device-virtual"]))).toMatch(/^edge-security:messageBus: no service gets the message-bus secret/);
    expect(oneLine({ services: [{ name: "secretstore" }, { name: "mqtt-broker" }], secretStore: {}, messageBus: { service: "mqtt-broker" } })).toMatch(/^edge-security:messageBus: is used with layout edgex4 only/);
    // An address in the certificate (extraSans) is taken: reachable from containers, still loopback by default.
    const bridge = base({ messageBus: { service: "mqtt-broker", host: "172.17.0.1" } }, services);
    (bridge.services as { name: string; extraSans?: string[] }[])[1].extraSans = ["172.17.0.1"];
    expect(parseNodeConfig(bridge).messageBus!.host).toBe("172.17.0.1");
  });

  it("tells bus clients compose's MQTT settings: usernamepassword with message-bus, TLS", async () => {
    const { edgexBusEnv } = await import("./edgex4");
    expect(edgexBusEnv({ host: "127.0.0.1", port: 8883, tls: true })).toEqual({
      MESSAGEBUS_TYPE: "mqtt",
      MESSAGEBUS_PROTOCOL: "tls",
      MESSAGEBUS_HOST: "127.0.0.1",
      MESSAGEBUS_PORT: "8883",
      MESSAGEBUS_AUTHMODE: "usernamepassword",
      MESSAGEBUS_SECRETNAME: "message-bus",
    });
  });
});

describe("layout edgex4: a service's settings (env file, container)", () => {
  it("names the store, database and bus as the stack has them, paths under the service's mounted folder", async () => {
    const { edgexServiceEnv, envFileContent } = await import("./edgex4");
    const env = edgexServiceEnv({ store: "https://172.17.0.1:8200", database: { host: "172.17.0.1", port: 5432 }, bus: { host: "172.17.0.1", port: 8883, tls: true } }, "/tmp/edgex/secrets/core-data");
    expect(env).toMatchObject({
      EDGEX_SECURITY_SECRET_STORE: "true",
      SECRETSTORE_HOST: "172.17.0.1",
      SECRETSTORE_PORT: "8200",
      SECRETSTORE_PROTOCOL: "https",
      SECRETSTORE_TOKENFILE: "/tmp/edgex/secrets/core-data/secrets-token.json",
      SECRETSTORE_ROOTCACERTPATH: "/tmp/edgex/secrets/core-data/ca.pem",
      DATABASE_HOST: "172.17.0.1",
      DATABASE_PORT: "5432",
      MESSAGEBUS_HOST: "172.17.0.1",
      MESSAGEBUS_PROTOCOL: "tls",
    });
    expect(envFileContent({ B: "2", A: "1" })).toBe("A=1\nB=2\n");
    // No database or bus configured: none of their settings.
    expect(Object.keys(edgexServiceEnv({ store: "https://127.0.0.1:8200" }, "/x")).filter((k) => /^(DATABASE|MESSAGEBUS)_/.test(k))).toEqual([]);
  });

  it("names the token recovery service only when edgex.tokenRecovery is set (CLIENTS_SECURITY_SECRETSTORE_SETUP_*)", async () => {
    const { edgexServiceEnv, envFileContent } = await import("./edgex4");
    expect(Object.keys(edgexServiceEnv({ store: "https://127.0.0.1:8200" }, "/x")).filter((k) => k.startsWith("CLIENTS_"))).toEqual([]);
    const env = edgexServiceEnv({ store: "https://127.0.0.1:8200", tokenRecovery: { host: "172.17.0.1", port: 59999 } }, "/x");
    expect(envFileContent(env)).toContain("CLIENTS_SECURITY_SECRETSTORE_SETUP_HOST=172.17.0.1\nCLIENTS_SECURITY_SECRETSTORE_SETUP_PORT=59999\n");
  });
});
