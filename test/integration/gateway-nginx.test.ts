// The NGINX gateway against real servers: a real OpenBao (users, identity tokens, the gateway's certificate), the
// real NGINX and the auth service started by the servers scripts, small HTTP upstreams on loopback; driven by the
// real CLI through the runner, checked over real TLS with the node CA, openssl and the bao CLI.
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ExponentialBackoff, handleAll, retry } from "cockatiel";
import { decodeJwt, decodeProtectedHeader, generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readCustody } from "../../components/secret-store/custody";
import { generateRootToken } from "../../components/secret-store/client";
import { changedNames, expectOk, freePort, openssl, TestNode } from "../support/harness";
import { GatewayClient, GatewayServers, Upstream } from "../support/nginx-server";
import { OpenBaoServer } from "../support/openbao-server";

const CUSTODY_SECRET = "integration-custody-secret-0123456789-abcdefghij";
const GATEWAY = "nginx";

describe("NGINX gateway on real NGINX, OpenBao and TLS", { timeout: 900_000 }, () => {
  const node = new TestNode("gw");
  let bao: OpenBaoServer;
  let servers: GatewayServers;
  let data: Upstream;
  let open: Upstream;
  let listen: string;
  let client: GatewayClient;
  let firstUp: Awaited<ReturnType<TestNode["run"]>>;
  const secretsSeen: string[] = [];

  const config = (extraRoutes: unknown[] = [], users: unknown[] = [{ name: "alice", groups: ["operators"] }, { name: "bob" }, { name: "shorty", tokenTtl: "3s" }]) => ({
    services: [{ name: "secretstore", hostnames: ["secretstore"], extraSans: ["127.0.0.1"], includeLocalhost: false }, { name: GATEWAY }],
    secretStore: { address: bao.address, custodyDir: join(node.root, "custody"), connectTimeoutSeconds: 120 },
    gateway: {
      kind: "nginx",
      extraRoutes: [
        { name: "core-data", url: `http://127.0.0.1:${data.port}/api/v3` },
        { name: "core-command", url: `http://127.0.0.1:${data.port}`, groups: ["operators"] },
        { name: "ping", url: `http://127.0.0.1:${open.port}`, public: true },
        ...extraRoutes,
      ],
      nginx: { listen, authListen: `127.0.0.1:${authPort}`, users },
    },
  });
  let authPort: number;

  const secretOutputs = () => JSON.parse(node.pulumi("stack", "output", "--json", "--show-secrets", "--stack", node.stack));
  const userOf = (name: string) => secretOutputs().gateway.users[name] as { loginPath: string; tokenPath: string; password: string };
  const tokenFor = async (name: string) => {
    const user = userOf(name);
    secretsSeen.push(user.password);
    const token = await client.token(user, user.password);
    secretsSeen.push(token);
    return token;
  };
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  /** The served certificate (PEM), as openssl s_client sees it over TLS 1.3. */
  const servedCert = () => {
    const out = spawnSync("openssl", ["s_client", "-connect", listen, "-tls1_3", "-servername", "localhost"], { input: "", encoding: "utf8" }).stdout;
    return /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(out)?.[0];
  };

  beforeAll(async () => {
    bao = await OpenBaoServer.create(node);
    data = await Upstream.start("data");
    open = await Upstream.start("open");
    listen = `127.0.0.1:${await freePort()}`;
    authPort = await freePort();
    servers = new GatewayServers(node, GATEWAY);
    node.configure(config(), { secretStoreCustodySecret: CUSTODY_SECRET });
    // As on a node: the servers start first and each waits for its readiness file.
    bao.start();
    servers.start();
    firstUp = expectOk(await node.run("up"));
    client = new GatewayClient(`https://${listen}`, readFileSync(join(node.secretsRoot, "ca.pem"), "utf8"));
    // NGINX and the auth service start once the readiness file is there: wait until the gateway answers.
    await retry(handleAll, { maxAttempts: 60, backoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: 1_000 }) }).execute(async () => {
      if ((await client.send("/ping/")).status !== 200) throw new Error("not yet");
      if ((await client.send("/core-data/")).status !== 401) throw new Error("auth service not yet");
    });
  }, 900_000);

  afterAll(async () => {
    await client?.close();
    servers?.stop();
    bao?.stop();
    await data?.close();
    await open?.close();
    node.cleanup();
  });

  it("serves TLS 1.3 only, with a certificate that openssl verify accepts against the node CA", () => {
    const pem = servedCert();
    expect(pem).toBeDefined();
    writeFileSync(join(node.root, "served.pem"), pem!);
    expect(openssl("verify", "-CAfile", join(node.secretsRoot, "ca.pem"), join(node.root, "served.pem")).trim()).toMatch(/: OK$/);
    const tls12 = spawnSync("openssl", ["s_client", "-connect", listen, "-tls1_2"], { input: "", encoding: "utf8" });
    expect(tls12.status).not.toBe(0);
  });

  it("answers 401 without a token; a public route needs none and its upstream sees the stripped path", async () => {
    expect((await client.send("/core-data/things")).status).toBe(401);
    expect((await client.send("/core-data/things", { headers: { authorization: "Basic YTpi" } })).status).toBe(401);
    expect(data.seen).toHaveLength(0);
    const res = await client.send("/ping/hello?x=1");
    expect(res.status).toBe(200);
    expect(open.last()!.url).toBe("/hello?x=1");
    expect((await client.send("/nowhere")).status).toBe(404);
  });

  it("lets a user who logged in through the gateway in, with the path stripped as the mapping says; groups are enforced", async () => {
    const token = await tokenFor("alice");
    const claims = decodeJwt(token);
    expect(claims.aud).toBe("edgex");
    expect(claims.iss).toBe(`${bao.address}/v1/identity/oidc`);
    expect(claims.exp! - claims.iat!).toBe(3600);
    expect(decodeProtectedHeader(token).alg).toBe("ES384");
    const res = await client.send("/core-data/things?limit=5", { headers: bearer(token) });
    expect(res.status).toBe(200);
    expect(data.last()!.url).toBe("/api/v3/things?limit=5");
    expect((await client.send("/core-data", { headers: bearer(token) })).status).toBe(200);
    expect(data.last()!.url).toBe("/api/v3");
    expect((await client.send("/core-command/device/1", { headers: bearer(token) })).status).toBe(200);
    expect(data.last()!.url).toBe("/device/1");
    // bob is not in "operators".
    const bobs = await tokenFor("bob");
    expect((await client.send("/core-data/x", { headers: bearer(bobs) })).status).toBe(200);
    expect((await client.send("/core-command/device/1", { headers: bearer(bobs) })).status).toBe(403);
    // A wrong password is refused by the store, through the gateway.
    expect((await client.send(userOf("bob").loginPath, { method: "POST", body: { password: "wrong" } })).status).toBe(400);
  });

  it("refuses a tampered token, a token signed by another key and an expired token (401), logging no token", async () => {
    const token = await tokenFor("alice");
    const [h, p, s] = token.split(".");
    const payload = JSON.parse(Buffer.from(p, "base64url").toString());
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...payload, groups: ["operators", "admins"], exp: payload.exp + 3600 })).toString("base64url")}.${s}`;
    expect((await client.send("/core-data/x", { headers: bearer(tampered) })).status).toBe(401);
    // Same claims and key id, another ES384 key.
    const { privateKey } = await generateKeyPair("ES384");
    const forged = await new SignJWT(payload).setProtectedHeader({ alg: "ES384", kid: decodeProtectedHeader(token).kid }).sign(privateKey);
    expect((await client.send("/core-data/x", { headers: bearer(forged) })).status).toBe(401);
    const forgedOtherKid = await new SignJWT(payload).setProtectedHeader({ alg: "ES384", kid: "another-key" }).sign(privateKey);
    expect((await client.send("/core-data/x", { headers: bearer(forgedOtherKid) })).status).toBe(401);
    // shorty's tokens live 3 s: accepted at first, refused once expired.
    const short = await tokenFor("shorty");
    expect((await client.send("/core-data/x", { headers: bearer(short) })).status).toBe(200);
    const exp = decodeJwt(short).exp!;
    await expect.poll(() => Date.now() / 1000 > exp + 1, { timeout: 15_000, interval: 250 }).toBe(true);
    expect((await client.send("/core-data/x", { headers: bearer(short) })).status).toBe(401);
    const log = servers.authLog;
    expect(log).toMatch(/gateway-auth: refused 401 GET \/core-data\/x route=core-data from 127\.0\.0\.1: token refused \(ERR_JWS_SIGNATURE_VERIFICATION_FAILED\)/);
    expect(log).toMatch(/token refused \(ERR_JWT_EXPIRED\)/);
    for (const t of [token, tampered, forged, short]) expect(log).not.toContain(t.split(".")[2]);
  });

  it("changes nothing on a second up", async () => {
    const result = expectOk(await node.run("up"));
    expect(changedNames(result), result.stdout).toEqual([]);
  });

  it("refuses a token for another audience; the altered role is seen by refresh and repaired by up", async () => {
    const keys = readCustody(join(node.root, "custody", `${node.stack}.secret-store.custody`), CUSTODY_SECRET)!.keys;
    const root = await generateRootToken({ address: bao.address, caPem: readFileSync(join(node.secretsRoot, "ca.pem"), "utf8") }, keys);
    try {
      const res = bao.bao(["write", "identity/oidc/role/bob", "key=edge-gateway", "client_id=another-audience", "ttl=3600", 'template={"groups":[]}'], root);
      expect(res.status, res.stderr).toBe(0);
    } finally {
      bao.bao(["token", "revoke", "-self"], root);
    }
    const token = await tokenFor("bob");
    expect(decodeJwt(token).aud).toBe("another-audience");
    expect((await client.send("/core-data/x", { headers: bearer(token) })).status).toBe(401);
    expect(servers.authLog).toMatch(/token refused \(ERR_JWT_CLAIM_VALIDATION_FAILED\)/);
    const refresh = expectOk(await node.run("refresh"));
    expect(changedNames(refresh)).toContain("gateway-user-bob");
    const up = expectOk(await node.run("up"));
    expect(changedNames(up)).toEqual(["gateway-user-bob"]);
    expect((await client.send("/core-data/x", { headers: bearer(await tokenFor("bob")) })).status).toBe(200);
  });

  it("sees a hand-edited nginx.conf and puts it back", async () => {
    const file = join(node.secretsRoot, GATEWAY, "nginx", "nginx.conf");
    const original = readFileSync(file, "utf8");
    writeFileSync(file, original.replace("ssl_protocols TLSv1.3;", "ssl_protocols TLSv1.2 TLSv1.3;"));
    const preview = expectOk(await node.run("preview"));
    expect(changedNames(preview)).toEqual(["gateway-site"]);
    const up = expectOk(await node.run("up"));
    expect(changedNames(up)).toEqual(["gateway-site"]);
    expect(readFileSync(file, "utf8")).toBe(original);
  });

  it("keeps the running gateway serving when the new configuration fails nginx -t", async () => {
    const file = join(node.secretsRoot, GATEWAY, "nginx", "nginx.conf");
    const before = readFileSync(file, "utf8");
    node.configure(config([{ name: "gone", url: "http://no-such-host.invalid:80" }]), { secretStoreCustodySecret: CUSTODY_SECRET });
    const result = await node.run("up");
    expect(result.status).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(/the generated NGINX configuration fails nginx -t, so the running one is kept: .*no-such-host\.invalid/);
    expect(result.stdout + result.stderr).not.toMatch(/\n\s+at /);
    expect(readFileSync(file, "utf8")).toBe(before);
    expect((await client.send("/core-data/x", { headers: bearer(await tokenFor("alice")) })).status).toBe(200);
    node.configure(config(), { secretStoreCustodySecret: CUSTODY_SECRET });
    const up = expectOk(await node.run("up"));
    // Nothing of the stack changes; the engine's own default provider ("default") shows a step after a failed run.
    expect(changedNames(up).filter((n) => n !== "default")).toEqual([]);
  });

  it("serves the gateway's certificate rotated in the store after the next up", async () => {
    const before = servedCert();
    const certUrn = JSON.parse(node.exportState()).deployment.resources.find((r: { urn: string }) => r.urn.endsWith(`::${GATEWAY}-cert`)).urn;
    const up = expectOk(await node.run("up", ["--replace", certUrn]));
    expect(changedNames(up)).toContain("gateway-site");
    const after = servedCert();
    expect(after).not.toBe(before);
    writeFileSync(join(node.root, "served.pem"), after!);
    const serial = (file: string) => openssl("x509", "-in", file, "-noout", "-serial").trim();
    expect(serial(join(node.root, "served.pem"))).toBe(serial(join(node.secretsRoot, GATEWAY, "cert.pem")));
    expect(openssl("verify", "-CAfile", join(node.secretsRoot, "ca.pem"), join(node.root, "served.pem")).trim()).toMatch(/: OK$/);
    expect((await client.send("/core-data/x", { headers: bearer(await tokenFor("alice")) })).status).toBe(200);
  });

  it("removes a user taken out of the stack: the user can no longer log in", async () => {
    const bob = userOf("bob");
    node.configure(config([], [{ name: "alice", groups: ["operators"] }, { name: "shorty", tokenTtl: "3s" }]), { secretStoreCustodySecret: CUSTODY_SECRET });
    const up = expectOk(await node.run("up"));
    expect(changedNames(up)).toContain("gateway-user-bob");
    expect((await client.send(bob.loginPath, { method: "POST", body: { password: bob.password } })).status).toBe(400);
    expect(secretOutputs().gateway.users.bob).toBeUndefined();
  });

  it("gives the outputs; no password or token in stack export or in the run output", () => {
    const outputs = node.outputs();
    expect(outputs.gateway).toEqual({
      kind: "nginx",
      url: `https://${listen}`,
      caCertPath: join(node.secretsRoot, "ca.pem"),
      configDir: join(node.secretsRoot, GATEWAY, "nginx"),
      routes: { "core-data": "/core-data", "core-command": "/core-command", ping: "/ping" },
      users: {
        alice: { loginPath: "/vault/v1/auth/userpass/login/alice", tokenPath: "/vault/v1/identity/oidc/token/alice", password: "[secret]" },
        shorty: { loginPath: "/vault/v1/auth/userpass/login/shorty", tokenPath: "/vault/v1/identity/oidc/token/shorty", password: "[secret]" },
      },
    });
    const state = node.exportState();
    expect(secretsSeen.length).toBeGreaterThan(5);
    for (const secret of new Set(secretsSeen)) {
      expect(state).not.toContain(secret);
      expect(firstUp.stdout + firstUp.stderr).not.toContain(secret);
    }
    const key = readFileSync(join(node.secretsRoot, GATEWAY, "key.pem"), "utf8");
    for (const line of key.split("\n").filter((l) => l.length > 20)) expect(state).not.toContain(line);
  });
});
