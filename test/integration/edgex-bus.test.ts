// The secure message bus of an EdgeX 4 node, proved by its real consumers: an edgex4 node provisioned with
// `pulumi up` (real OpenBao over TLS, a private PostgreSQL, the stack's MQTT broker: Debian's mosquitto through
// scripts/servers/mosquitto.sh, TLS with its certificate from the node's PKI, the password file and ACL the stack
// wrote from the store's `message-bus` secret). Unmodified core-data and core-metadata (built from ../shared/edgex)
// start with security on, with nothing but the env file the stack wrote for them (compose's env_file: SECRETSTORE_*,
// DATABASE_*, MESSAGEBUS_*), and connect to the bus with that secret (over TLS, the node CA from the secret's
// `cacert`); an event posted to core-data reaches a subscriber that uses the same credentials; the broker refuses
// anonymous clients and wrong passwords; `up --replace` of the message-bus secret changes the broker's password
// file and the services' secret in the same run (the running broker reloads: the old password is refused at once).
// The same stack's NGINX gateway (EdgeX 4's route table, core-data's route at the test's core-data): a user made by
// the stack logs in through the gateway, gets a JWT, and `GET /core-data/api/v3/event/count` through NGINX answers
// 200 from the real core-data (401 without a token).
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { randomBytes, randomUUID } from "node:crypto";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EdgexService, edgexBinariesMissing, edgexClient, SecretStoreAccess } from "../support/edgex-services";
import { expectOk, freePort, TestNode } from "../support/harness";
import { MosquittoServer } from "../support/mosquitto-server";
import { edgexRoutesFile, GatewayClient, GatewayServers, gatewayReady, gatewayUserToken } from "../support/nginx-server";
import { OpenBaoServer } from "../support/openbao-server";
import { PrivatePostgres } from "../support/postgres-server";
import { sharedPath } from "../support/shared";

const EDGEX = sharedPath("edgex", "the EdgeX 4 message bus test (test/integration/edgex-bus.test.ts)");
const DATA = "core-data";
const METADATA = "core-metadata";
const BROKER = "mqtt-broker";
const GATEWAY = "nginx";
const COUNT = "/core-data/api/v3/event/count";
const SERVICES = [DATA, METADATA];
const CUSTODY_SECRET = "edgex-bus-it-custody-secret-0123456789abcdef";

describe.skipIf(!EDGEX)("the secure message bus of an edgex4 node, with unmodified core-data and core-metadata", { timeout: 900_000 }, () => {
  let node: TestNode;
  let store: OpenBaoServer;
  let cluster: PrivatePostgres;
  let broker: MosquittoServer;
  let servers: GatewayServers;
  let gateway: GatewayClient;
  const running: Record<string, EdgexService> = {};
  const startFailure: Record<string, string> = {};
  const tokenFile = (service: string) => join(node.secretsRoot, service, "secrets-token.json");
  const accessOf = (service: string): SecretStoreAccess => ({ host: "127.0.0.1", port: store.port, protocol: "https", caCertPath: join(node.secretsRoot, service, "ca.pem") });
  const client = (service: string, ...args: string[]) => edgexClient(service, accessOf(service), tokenFile(service), ...args);
  /** The message-bus secret as a bus client reads it (go-mod-secrets, with core-data's token). */
  async function busSecret(): Promise<{ username: string; password: string }> {
    const res = await client(DATA, "secret", "message-bus");
    expect(res.ok, res.error).toBe(true);
    return res.secret as { username: string; password: string };
  }

  /** The service's env file (edgex.env in its folder) as its container sees it with the folder mounted at /tmp/edgex/secrets/<svc>. */
  function envFile(service: string): Record<string, string> {
    const lines = readFileSync(join(node.secretsRoot, service, "edgex.env"), "utf8").trim().split("\n");
    return Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1).replace(`/tmp/edgex/secrets/${service}`, join(node.secretsRoot, service))]));
  }

  beforeAll(async () => {
    const missing = edgexBinariesMissing(SERVICES);
    if (missing) throw new Error(`${missing}: the EdgeX binaries are built by npm run setup (scripts/edgex/build.sh)`);
    node = new TestNode("edgex-bus");
    cluster = new PrivatePostgres(join(node.root, "pg"), randomBytes(18).toString("base64url"));
    await cluster.start();
    store = await OpenBaoServer.create(node);
    broker = new MosquittoServer(node, await freePort(), BROKER);
    const ports: Record<string, number> = { [METADATA]: await freePort(), [DATA]: await freePort() };
    const listen = `127.0.0.1:${await freePort()}`;
    const routesFile = edgexRoutesFile(node, { [DATA]: ports[DATA] });
    servers = new GatewayServers(node, GATEWAY);
    node.configure(
      {
        layout: "edgex4",
        services: [{ name: "secretstore", hostnames: ["secretstore"], extraSans: ["127.0.0.1"] }, { name: BROKER }, ...SERVICES.map((name) => ({ name })), { name: GATEWAY }],
        secretStore: { address: store.address, custodyDir: join(node.root, "custody"), connectTimeoutSeconds: 120 },
        databases: { postgres: { port: cluster.port, adminUser: cluster.adminUser } },
        messageBus: { service: BROKER, port: broker.port, topics: ["edgex/#"], pidFile: broker.pidFile },
        gateway: { kind: "nginx", routesFile, nginx: { listen, authListen: `127.0.0.1:${await freePort()}`, users: [{ name: "operator" }] } },
      },
      { secretStoreCustodySecret: CUSTODY_SECRET },
    );
    node.setSecretConfig("databases.postgres.adminPassword", cluster.adminPassword);
    store.start();
    broker.start(); // waits for the broker's readiness file, written by `up` after its password file and ACL
    servers.start(); // NGINX and the auth service, likewise waiting for the gateway service's readiness file
    expectOk(await node.run("up"));
    const database = { host: cluster.host, port: cluster.port };
    // core-metadata first: core-data fills its device cache from it at start.
    for (const service of [METADATA, DATA]) {
      // Exactly the env file the stack wrote for compose's env_file, its folder bind-mounted where the file says.
      const env = { ...envFile(service), CLIENTS_CORE_METADATA_PORT: String(ports[METADATA]), WRITABLE_LOGLEVEL: "DEBUG" };
      running[service] = new EdgexService({ service, workDir: join(node.root, "edgex"), store: accessOf(service), tokenFile: tokenFile(service), database, env });
      running[service].port = ports[service];
      await running[service].start().catch((err: Error) => void (startFailure[service] = err.message));
    }
    gateway = new GatewayClient(`https://${listen}`, readFileSync(join(node.secretsRoot, "ca.pem"), "utf8"));
    await gatewayReady(gateway, COUNT);
  }, 900_000);

  afterAll(async () => {
    await gateway?.close();
    servers?.stop();
    for (const service of Object.values(running)) await service.stop();
    broker?.stop();
    store?.stop();
    await cluster?.stop();
    node?.cleanup();
  }, 120_000);

  it("the broker lets in the message-bus user only: not anonymous clients, not a wrong password", async () => {
    const secret = await busSecret();
    expect(secret.username).toBe("msgbususer");
    // With TLS the secret carries the node CA as `cacert`: the MQTT client of every service checks the broker with it.
    expect((secret as Record<string, string>).cacert).toBe(readFileSync(join(node.secretsRoot, "ca.pem"), "utf8"));
    const passwd = readFileSync(join(node.secretsRoot, BROKER, "passwd"), "utf8");
    expect(passwd).toMatch(/^msgbususer:\$7\$101\$/);
    expect(passwd).not.toContain(secret.password);
    const first = await broker.publish(secret.username, secret.password, "edgex/probe", "hello");
    expect(first.ok, `${first.stderr}; ${broker.describe()}`).toBe(true);
    expect((await broker.publish(secret.username, secret.password + "x", "edgex/probe", "hello")).ok).toBe(false);
    expect((await broker.publish("", "", "edgex/probe", "hello")).ok).toBe(false);
    // The ACL: the bus user's topics only (a subscription elsewhere gets nothing, a publish elsewhere is dropped).
    expect(readFileSync(join(node.secretsRoot, BROKER, "acl"), "utf8")).toBe("user msgbususer\ntopic readwrite edgex/#\n");
  });

  it("each service's env file holds compose's settings for this node: store, database, bus; no secret", () => {
    const text = readFileSync(join(node.secretsRoot, DATA, "edgex.env"), "utf8");
    expect(text).toBe(
      [
        "DATABASE_HOST=127.0.0.1",
        `DATABASE_PORT=${cluster.port}`,
        "EDGEX_SECURITY_SECRET_STORE=true",
        "MESSAGEBUS_AUTHMODE=usernamepassword",
        "MESSAGEBUS_HOST=127.0.0.1",
        `MESSAGEBUS_PORT=${broker.port}`,
        "MESSAGEBUS_PROTOCOL=tls",
        "MESSAGEBUS_SECRETNAME=message-bus",
        "MESSAGEBUS_TYPE=mqtt",
        "SECRETSTORE_HOST=127.0.0.1",
        `SECRETSTORE_PORT=${store.port}`,
        "SECRETSTORE_PROTOCOL=https",
        "SECRETSTORE_ROOTCACERTPATH=/tmp/edgex/secrets/core-data/ca.pem",
        "SECRETSTORE_TOKENFILE=/tmp/edgex/secrets/core-data/secrets-token.json",
        "",
      ].join("\n"),
    );
  });

  it("core-data and core-metadata start with security on and connect to the bus with the message-bus secret", () => {
    for (const service of [METADATA, DATA]) {
      expect(startFailure[service], `${startFailure[service]}\nthe broker: ${broker.describe()}`).toBeUndefined();
      const log = running[service].log();
      expect(log).toMatch(/Service started in:/);
      expect(log).toMatch(/AuthMode='usernamepassword' and SecretName='message-bus/);
      expect(log).not.toMatch(/not authori[sz]ed|connection refused/i);
    }
    // The broker saw both connect as the bus user.
    expect(broker.log()).toMatch(/New client connected .* as core-data .*u'msgbususer'/);
    expect(broker.log()).toMatch(/New client connected .* as core-metadata .*u'msgbususer'/);
  });

  it("an event posted to core-data reaches a subscriber on the bus that uses the same credentials", async () => {
    const secret = await busSecret();
    const sub = broker.subscribe(secret.username, secret.password, "edgex/events/#", 1, 60_000);
    await sub.ready;
    const jwt = await client(METADATA, "jwt");
    expect(jwt.ok, jwt.error).toBe(true);
    const origin = Date.now() * 1_000_000;
    const device = `bus-device-${randomUUID().slice(0, 8)}`;
    const event = { apiVersion: "v3", id: randomUUID(), deviceName: device, profileName: "bus-profile", sourceName: "bus-source", origin, readings: [{ id: randomUUID(), origin, deviceName: device, resourceName: "bus-source", profileName: "bus-profile", valueType: "Int32", value: "42" }] };
    const res = await request(`${running[DATA].url}/api/v3/event/bus-test/bus-profile/${device}/bus-source`, {
      method: "POST",
      headers: { authorization: `Bearer ${jwt.jwt}`, "content-type": "application/json" },
      body: JSON.stringify({ apiVersion: "v3", event }),
    });
    const body = await res.body.text();
    expect(res.statusCode, body).toBe(201);
    const got = await sub.messages;
    expect(got.ok, `${got.stderr}\ncore-data: ${running[DATA].log().slice(-3000)}\nthe broker: ${broker.describe()}`).toBe(true);
    expect(got.lines[0]).toContain(`edgex/events/core/bus-test/bus-profile/${device}/bus-source`);
    expect(got.lines[0]).toContain(event.id);
  });

  it("a gateway user made by the stack logs in through NGINX and real core-data answers 200 there; no token 401", async () => {
    expect(startFailure[DATA]).toBeUndefined();
    const { password, jwt } = await gatewayUserToken(node, gateway, "operator");
    const res = await gateway.send(COUNT, { headers: { authorization: `Bearer ${jwt}` } });
    expect(res.status, `${JSON.stringify(res.json)}\nthe auth service: ${servers.authLog.slice(-2000)}`).toBe(200);
    // core-data's own answer (it checks the same JWT itself): the event posted above is counted.
    expect(res.json).toMatchObject({ apiVersion: "v3", statusCode: 200 });
    expect(res.json.count).toBeGreaterThanOrEqual(1);
    expect((await gateway.send(COUNT)).status).toBe(401);
    const state = node.exportState();
    expect(state.includes(password) || state.includes(jwt)).toBe(false);
  });

  it("up --replace of the message-bus secret: the broker's password file and the services' secret change in one run", async () => {
    const old = await busSecret();
    const urn = JSON.parse(node.exportState())
      .deployment.resources.map((r: { urn: string }) => r.urn)
      .find((u: string) => u.endsWith("::message-bus-secret"));
    expect(urn).toBeDefined();
    expectOk(await node.run("up", ["--replace", urn]));
    const now = await busSecret();
    expect(now.password).not.toBe(old.password);
    // The running broker re-read its password file (SIGHUP from the stack): the new password at once, not the old.
    expect((await broker.publish(now.username, now.password, "edgex/probe", "after")).ok).toBe(true);
    expect((await broker.publish(old.username, old.password, "edgex/probe", "after")).ok).toBe(false);
    // A restarted core-data connects with the new secret.
    await running[DATA].stop();
    await running[DATA].start();
    expect(running[DATA].log()).toMatch(/Service started in:/);
    // The next run has nothing to do.
    const preview = expectOk(await node.run("preview"));
    expect(Object.keys(preview.changeSummary).filter((k) => k !== "same"), JSON.stringify(preview.changeSummary)).toEqual([]);
  });

  it("a password file lost on disk is seen by preview and written again by up; the broker takes it", async () => {
    const passwd = join(node.secretsRoot, BROKER, "passwd");
    rmSync(passwd);
    const preview = expectOk(await node.run("preview"));
    expect(preview.steps.filter((s) => s.name === `${BROKER}-broker-users`).map((s) => s.op)).toEqual(["update"]);
    expectOk(await node.run("up"));
    expect(readFileSync(passwd, "utf8")).toMatch(/^msgbususer:\$7\$/);
    const secret = await busSecret();
    const res = await broker.publish(secret.username, secret.password, "edgex/probe", "restored");
    expect(res.ok, res.stderr).toBe(true);
  });
});
