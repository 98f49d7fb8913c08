// The secret store against a real OpenBao server (started as on a node: it waits for its readiness file),
// driven by the real CLI through the runner, checked with the real `bao` CLI and plain HTTP.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readCustody } from "../../components/secret-store/custody";
import { generateRootToken, unseal } from "../../components/secret-store/client";
import { changedNames, expectOk, PROJECT_ROOT, refusingPort, TestNode } from "../support/harness";
import { OpenBaoServer } from "../support/openbao-server";

const CUSTODY_SECRET = "integration-custody-secret-0123456789-abcdefghij";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].startsWith("Z");
  } catch {
    return false;
  }
}
const CLIENTS = ["kong", "svc-a", "svc-b"];

function nodeConfig(node: TestNode, server: OpenBaoServer, overrides: Record<string, unknown> = {}) {
  return {
    services: [
      // The store's certificate names the loopback IP but not "localhost" (for the TLS name test).
      { name: "secretstore", hostnames: ["secretstore"], includeLocalhost: false, extraSans: ["127.0.0.1"] },
      ...CLIENTS.map((name) => ({ name })),
    ],
    secretStore: { address: server.address, custodyDir: join(node.root, "custody"), connectTimeoutSeconds: 120, ...overrides },
  };
}

function tokenOf(node: TestNode, service: string): string {
  return JSON.parse(readFileSync(join(node.secretsRoot, service, "secrets-token.json"), "utf8")).auth.client_token;
}

function custodyFile(node: TestNode): string {
  return join(node.root, "custody", `${node.stack}.secret-store.custody`);
}

/** Every token the store knows, with its policies (read with a root token the test makes from the keys). */
async function tokenPolicies(server: OpenBaoServer, keys: string[], caPem = readFileSync(join(server.node.secretsRoot, "ca.pem"), "utf8")): Promise<{ accessor: string; policies: string[]; self: boolean }[]> {
  const endpoint = { address: server.address, caPem };
  const root = await generateRootToken(endpoint, keys);
  try {
    const selfAccessor = JSON.parse(server.bao(["token", "lookup", "-format=json"], root).stdout).data.accessor;
    const accessors: string[] = JSON.parse(server.bao(["list", "-format=json", "auth/token/accessors"], root).stdout);
    return accessors.map((accessor) => {
      const data = JSON.parse(server.bao(["token", "lookup", "-format=json", "-accessor", accessor], root).stdout).data;
      return { accessor, policies: data.policies, self: accessor === selfAccessor };
    });
  } finally {
    server.bao(["token", "revoke", "-self"], root);
  }
}

describe("secret store on a real OpenBao", { timeout: 600_000 }, () => {
  const node = new TestNode("store");
  let server: OpenBaoServer;
  let firstUp: Awaited<ReturnType<TestNode["run"]>>;
  let keys: string[];

  beforeAll(async () => {
    server = await OpenBaoServer.create(node);
    node.configure(nodeConfig(node, server), { secretStoreCustodySecret: CUSTODY_SECRET });
    // As on a node: the server is started first and waits for its folder's readiness file.
    server.start();
    firstUp = expectOk(await node.run("up"));
    keys = readCustody(custodyFile(node), CUSTODY_SECRET)!.keys;
  }, 600_000);

  afterAll(() => {
    server?.stop();
    node.cleanup();
  });

  it("initializes and unseals the store; keys in encrypted custody (0600), initial root token gone from it", () => {
    expect(server.status()).toMatchObject({ initialized: true, sealed: false });
    const file = custodyFile(node);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const record = readCustody(file, CUSTODY_SECRET)!;
    expect(record.keys).toHaveLength(5);
    expect(record.threshold).toBe(3);
    expect(record.rootToken).toBeUndefined();
    const raw = readFileSync(file, "utf8");
    for (const key of record.keys) expect(raw).not.toContain(key);
    expect(() => readCustody(file, "a-wrong-secret-a-wrong-secret-a-wrong-secret")).toThrow(/cannot be decrypted with this stack's custody secret/);
    // The operator's emergency tool reads the same keys, given the stack's custody secret.
    const tool = spawnSync(join(PROJECT_ROOT, "node_modules/.bin/tsx"), [join(PROJECT_ROOT, "bin/custody.ts"), file], { encoding: "utf8", env: { ...process.env, EDGE_CUSTODY_SECRET: CUSTODY_SECRET } });
    expect(tool.status, tool.stderr).toBe(0);
    expect(JSON.parse(tool.stdout)).toEqual({ threshold: 3, keys: record.keys });
    const wrong = spawnSync(join(PROJECT_ROOT, "node_modules/.bin/tsx"), [join(PROJECT_ROOT, "bin/custody.ts"), file], { encoding: "utf8", env: { ...process.env, EDGE_CUSTODY_SECRET: "wrong" } });
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toMatch(/^custody: .* cannot be decrypted with this stack's custody secret/);
    expect(wrong.stdout).toBe("");
  });

  it("leaves no root token behind: every token the store knows is a service token (besides the test's own)", async () => {
    const tokens = await tokenPolicies(server, keys);
    const others = tokens.filter((t) => !t.self);
    expect(others.map((t) => t.policies.includes("root"))).toEqual(others.map(() => false));
    expect(others.map((t) => t.policies.find((p) => p.startsWith("edge-"))).sort()).toEqual(CLIENTS.map((s) => `edge-${s}`).sort());
  });

  it("writes each service's token file (0600, the store's own response) and none for the store's service", () => {
    for (const service of CLIENTS) {
      const file = join(node.secretsRoot, service, "secrets-token.json");
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const response = JSON.parse(readFileSync(file, "utf8"));
      expect(response.auth.policies).toContain(`edge-${service}`);
      expect(response.auth.renewable).toBe(true);
    }
    expect(existsSync(join(node.secretsRoot, "secretstore", "secrets-token.json"))).toBe(false);
  });

  it("lets each service token read and write its own path and denies every other service's (all N×N pairs)", () => {
    for (const reader of CLIENTS) {
      const token = tokenOf(node, reader);
      for (const owner of CLIENTS) {
        const read = server.bao(["kv", "get", "-mount=secret", "-format=json", `edgex/${owner}/db`], token);
        const write = server.bao(["kv", "put", "-mount=secret", `edgex/${owner}/probe`, `from=${reader}`], token);
        if (reader === owner) {
          expect(read.status, read.stderr).toBe(0);
          expect(JSON.parse(read.stdout).data.data.username).toBe(owner.replace(/-/g, "_"));
          expect(write.status, write.stderr).toBe(0);
        } else {
          expect(read.status).toBe(2);
          expect(read.stderr).toMatch(/permission denied/);
          expect(write.status).toBe(2);
          expect(write.stderr).toMatch(/permission denied/);
        }
      }
      // Nor anything outside the service paths.
      expect(server.bao(["secrets", "list"], token).status).toBe(2);
    }
  });

  it("generates distinct passwords of 32 random bytes, readable at the documented path", () => {
    const passwords = CLIENTS.map((service) => JSON.parse(server.bao(["kv", "get", "-mount=secret", "-format=json", `edgex/${service}/db`], tokenOf(node, service)).stdout).data.data.password);
    expect(new Set(passwords).size).toBe(CLIENTS.length);
    for (const p of passwords) expect(Buffer.from(p, "base64url")).toHaveLength(32);
  });

  it("stores the gateway's certificate and key under the gateway's path", () => {
    const entry = JSON.parse(server.bao(["kv", "get", "-mount=secret", "-format=json", "edgex/kong/tls"], tokenOf(node, "kong")).stdout).data.data;
    expect(entry.cert).toBe(readFileSync(join(node.secretsRoot, "kong", "cert.pem"), "utf8"));
    expect(entry.key).toBe(readFileSync(join(node.secretsRoot, "kong", "key.pem"), "utf8"));
  });

  it("extends the stack outputs: secretStore and per-service tokenPath/secretPath", () => {
    const outputs = node.outputs();
    expect(outputs.secretStore).toEqual({ address: server.address, caCertPath: join(node.secretsRoot, "ca.pem") });
    expect(outputs.services["svc-a"]).toMatchObject({
      tokenPath: join(node.secretsRoot, "svc-a", "secrets-token.json"),
      secretPath: "secret/edgex/svc-a",
      dbCredentials: { entry: "db", usernameKey: "username", passwordKey: "password" },
    });
    expect(outputs.services.secretstore.tokenPath).toBeUndefined();
  });

  it("keeps unseal keys, tokens and passwords out of the state's plaintext and out of the run's output", () => {
    const state = node.exportState();
    const secrets = [...keys, ...CLIENTS.map((s) => tokenOf(node, s))];
    for (const service of CLIENTS) secrets.push(JSON.parse(server.bao(["kv", "get", "-mount=secret", "-format=json", `edgex/${service}/db`], tokenOf(node, service)).stdout).data.data.password);
    secrets.push(CUSTODY_SECRET);
    for (const secret of secrets) {
      expect(state).not.toContain(secret);
      expect(firstUp.stdout + firstUp.stderr).not.toContain(secret);
    }
  });

  it("changes nothing on a second up: same tokens, same passwords", async () => {
    const before = CLIENTS.map((s) => readFileSync(join(node.secretsRoot, s, "secrets-token.json"), "utf8"));
    const result = expectOk(await node.run("up"));
    expect(changedNames(result)).toEqual([]);
    expect(CLIENTS.map((s) => readFileSync(join(node.secretsRoot, s, "secrets-token.json"), "utf8"))).toEqual(before);
  });

  it("after a restart the store is sealed: preview and refresh show the unseal, up unseals and changes nothing else", async () => {
    server.stop();
    server.start();
    await expect.poll(() => server.bao(["status"]).status, { timeout: 30_000 }).toBe(2);
    expect(server.status()).toMatchObject({ initialized: true, sealed: true });

    // Wrong and corrupt keys against the real sealed server: one clear error each, the store stays sealed.
    const endpoint = { address: server.address, caPem: readFileSync(join(node.secretsRoot, "ca.pem"), "utf8") };
    const wrong = keys.map((k) => k.replace(/^./, (c) => (c === "0" ? "1" : "0")));
    await expect(unseal(endpoint, wrong)).rejects.toThrow(/unseal keys this stack holds do not open the secret store at https:\/\/127\.0\.0\.1:\d+/);
    await expect(unseal(endpoint, ["not-a-key", ...keys])).rejects.toThrow(/do not open the secret store/);
    expect(server.status().sealed).toBe(true);

    const preview = expectOk(await node.run("preview"));
    expect(changedNames(preview), JSON.stringify(preview.steps) + preview.stdout).toEqual(["secret-store-unseal"]);
    expect(server.status().sealed).toBe(true);

    const refresh = expectOk(await node.run("refresh"));
    expect(refresh.changeSummary, refresh.stdout).toMatchObject({ update: 1 });
    expect(node.stateOutputs("secret-store-unseal").sealed).toBe(true);

    const up = expectOk(await node.run("up"));
    expect(changedNames(up)).toEqual(["secret-store-unseal"]);
    expect(up.steps.map((s) => s.op)).toEqual(["update"]);
    expect(server.status().sealed).toBe(false);
    expect(server.bao(["kv", "get", "-mount=secret", "edgex/svc-a/db"], tokenOf(node, "svc-a")).status).toBe(0);
  });

  it("sees a revoked token on refresh and issues a new one on up; the old one stays dead", async () => {
    const old = tokenOf(node, "svc-b");
    expect(server.bao(["token", "revoke", "-self"], old).status).toBe(0);
    const refresh = expectOk(await node.run("refresh"));
    expect(refresh.changeSummary, refresh.stdout).toMatchObject({ update: 1 });
    expect(node.stateOutputs("svc-b-secret-token").live).toBe("token-invalid");
    const preview = expectOk(await node.run("preview"));
    expect(changedNames(preview)).toEqual(["svc-b-secret-token"]);
    const up = expectOk(await node.run("up"));
    expect(changedNames(up)).toEqual(["svc-b-secret-token"]);
    const renewed = tokenOf(node, "svc-b");
    expect(renewed).not.toBe(old);
    expect(server.bao(["kv", "get", "-mount=secret", "edgex/svc-b/db"], renewed).status).toBe(0);
    expect(server.bao(["token", "lookup"], old).stderr).toMatch(/bad token|permission denied/);
  });

  it("after a reboot wiped a service's folder, up reissues its certificate and writes its token file again", async () => {
    const token = tokenOf(node, "svc-a");
    rmSync(join(node.secretsRoot, "svc-a"), { recursive: true, force: true });
    const preview = expectOk(await node.run("preview"));
    expect(changedNames(preview)).toEqual(["svc-a-cert", "svc-a-ready", "svc-a-secret-token"]);
    const up = expectOk(await node.run("up"));
    expect(changedNames(up)).toEqual(["svc-a-cert", "svc-a-ready", "svc-a-secret-token"]);
    // The token was still valid: the same token is written back, and it still reads its own secrets.
    expect(tokenOf(node, "svc-a")).toBe(token);
    expect(statSync(join(node.secretsRoot, "svc-a", "secrets-token.json")).mode & 0o777).toBe(0o600);
    expect(server.bao(["kv", "get", "-mount=secret", "edgex/svc-a/db"], token).status).toBe(0);
  });

  it("rejects bad input with one clear line and changes nothing", async () => {
    // Every resource, decrypted (ciphertexts are re-encrypted on each save), by URN. The default provider's
    // record is left out: Pulumi stores the stack's config in it even when a run fails.
    const resources = () =>
      JSON.stringify(
        Object.fromEntries(
          JSON.parse(node.pulumi("stack", "export", "--show-secrets", "--stack", node.stack))
            .deployment.resources.filter((r: { type: string }) => !r.type.startsWith("pulumi:providers:"))
            .map((r: { urn: string; modified?: string }) => [r.urn, { ...r, modified: undefined }])
            .sort(([a]: [string], [b]: [string]) => a.localeCompare(b)),
        ),
      );
    const stateBefore = resources();
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ threshold: 6 }, /^error: edge-security:secretStore\.threshold: must not exceed secretStore\.shares \(5\)$/m],
      [{ address: `https://127.0.0.1:${await refusingPort()}`, connectTimeoutSeconds: 2 }, /the secret store at https:\/\/127\.0\.0\.1:\d+ is not reachable \(ECONNREFUSED\) after waiting 2 s/],
      [{ address: `https://localhost:${server.port}` }, /presents a TLS certificate that is not valid for that address \(ERR_TLS_CERT_ALTNAME_INVALID\)/],
      [{ address: "http://127.0.0.1:8200" }, /^error: edge-security:secretStore\.address: "http:\/\/127\.0\.0\.1:8200" must be an https:\/\/ address/m],
    ];
    for (const [overrides, message] of cases) {
      node.configure(nodeConfig(node, server, overrides), { secretStoreCustodySecret: CUSTODY_SECRET });
      const result = await node.run("up");
      expect(result.status, result.stdout).not.toBe(0);
      expect(result.stdout + result.stderr, result.stderr).toMatch(message);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    }
    node.configure(nodeConfig(node, server), { secretStoreCustodySecret: "too-short" });
    const short = await node.run("preview");
    expect(short.stderr).toMatch(/^error: edge-security:secretStoreCustodySecret: must be at least 32 characters/m);
    node.configure(nodeConfig(node, server), { secretStoreCustodySecret: CUSTODY_SECRET });
    expect(JSON.parse(resources())).toEqual(JSON.parse(stateBefore));
  });

  it("destroy revokes the tokens, removes the token files and the secrets, and keeps the custody file", async () => {
    const tokens = CLIENTS.map((s) => tokenOf(node, s));
    const caPem = readFileSync(join(node.secretsRoot, "ca.pem"), "utf8");
    expectOk(await node.run("destroy"));
    for (const token of tokens) {
      const lookup = server.bao(["token", "lookup"], token);
      expect(lookup.status).toBe(2);
      expect(lookup.stderr).toMatch(/bad token|permission denied/);
    }
    for (const s of CLIENTS) expect(existsSync(join(node.secretsRoot, s, "secrets-token.json"))).toBe(false);
    expect(existsSync(custodyFile(node))).toBe(true);
    const remaining = await tokenPolicies(server, keys, caPem);
    expect(remaining.filter((t) => !t.self)).toEqual([]);
  });
});

describe("secret store init interrupted by kill -9", { timeout: 900_000 }, () => {
  const node = new TestNode("crash");
  let server: OpenBaoServer;

  beforeAll(async () => {
    server = await OpenBaoServer.create(node);
    node.configure(nodeConfig(node, server), { secretStoreCustodySecret: CUSTODY_SECRET });
    server.start();
  }, 600_000);

  let run: ReturnType<TestNode["spawnRun"]> | undefined;

  afterAll(() => {
    // A failed or timed-out test must not leave the paused run behind.
    if (run?.pid && run.exitCode === null && run.signalCode === null) process.kill(-run.pid, "SIGKILL");
    server?.stop();
    node.cleanup();
  });

  it("converges on the next up with the same store and the same keys; refuses to adopt without custody", async () => {
    const marker = join(node.root, "paused-after-init");
    const paused = node.spawnRun("up", { EDGE_TEST_PAUSE_AFTER_INIT: marker });
    run = paused;
    let output = "";
    paused.stdout!.on("data", (d) => (output += d));
    paused.stderr!.on("data", (d) => (output += d));
    await expect.poll(() => existsSync(marker), { timeout: 300_000, interval: 500 }).toBe(true);
    // The whole run dies at once, right after the init response was persisted: the runner and the CLI (one
    // process group), and the dynamic-provider host, which the CLI starts in a process group of its own.
    const providerPid = Number(readFileSync(marker, "utf8"));
    const exited = new Promise((r) => paused.once("exit", r));
    process.kill(providerPid, "SIGKILL");
    process.kill(-paused.pid!, "SIGKILL");
    await exited;
    await expect.poll(() => alive(providerPid), { timeout: 10_000 }).toBe(false);
    expect(output).not.toMatch(/secret-store-init.*created/);

    expect(server.status()).toMatchObject({ initialized: true, sealed: true });
    const record = readCustody(custodyFile(node), CUSTODY_SECRET)!;
    expect(record.keys).toHaveLength(5);
    expect(record.rootToken).toBeTruthy();

    // The killed run left the stack locked; the runner says how to release it, as the operator would.
    const locked = await node.run("up");
    expect(locked.status).not.toBe(0);
    expect(locked.stderr).toMatch(/release the lock with: npm run pulumi -- cancel --stack crash --yes/);
    node.pulumi("cancel", "--stack", node.stack, "--yes");

    // Without the custody file the stack holds no keys for this store: it refuses, and the store is untouched.
    const aside = `${custodyFile(node)}.aside`;
    renameSync(custodyFile(node), aside);
    const refused = await node.run("up");
    expect(refused.status).not.toBe(0);
    expect(refused.stdout + refused.stderr, refused.stdout + refused.stderr).toMatch(/is already initialized and this stack holds no keys for it \(no custody file at .*\); it is not re-initialized and not adopted/);
    expect(server.status()).toMatchObject({ initialized: true, sealed: true });
    renameSync(aside, custodyFile(node));

    expectOk(await node.run("up"));
    expect(server.status()).toMatchObject({ initialized: true, sealed: false });
    const after = readCustody(custodyFile(node), CUSTODY_SECRET)!;
    expect(after.keys).toEqual(record.keys);
    expect(after.rootToken).toBeUndefined();
    // The initial root token from the interrupted run was revoked by the converging run.
    expect(server.bao(["token", "lookup"], record.rootToken!).stderr).toMatch(/bad token|permission denied/);
    const tokens = await tokenPolicies(server, record.keys);
    expect(tokens.filter((t) => !t.self && t.policies.includes("root"))).toEqual([]);
    expect(changedNames(expectOk(await node.run("preview")))).toEqual([]);
  });
});

// The store returns its unseal keys once, in its init response: a run killed between that response and the custody
// file must not lose them. A killed CLI or runner lets the provider host finish that step (a hold) and end right
// after; only a SIGKILL of the provider host itself can cut it, and the next run then says so in one line.
describe("secret store init: the keys' way to custody is not cut by a killed run", { timeout: 900_000 }, () => {
  const started: { node: TestNode; server: OpenBaoServer }[] = [];
  const runs: ReturnType<TestNode["spawnRun"]>[] = [];

  afterAll(() => {
    for (const run of runs) if (run.pid && run.exitCode === null && run.signalCode === null) process.kill(-run.pid, "SIGKILL");
    for (const { node, server } of started) {
      server.stop();
      node.cleanup();
    }
  });

  /** A node with a new store, and a run of `up` paused (3 s) between the init response and the custody file. */
  async function pausedBeforeCustody(name: string, via: "cli" | "runner") {
    const node = new TestNode(name);
    const server = await OpenBaoServer.create(node);
    started.push({ node, server });
    node.configure(nodeConfig(node, server), { secretStoreCustodySecret: CUSTODY_SECRET });
    server.start();
    const marker = join(node.root, "paused-before-custody");
    const env = { EDGE_TEST_PAUSE_BEFORE_CUSTODY: marker };
    const run = via === "cli" ? node.spawnCli("up", { env }) : node.spawnRun("up", env);
    runs.push(run);
    let output = "";
    run.stdout!.on("data", (d) => (output += d));
    run.stderr!.on("data", (d) => (output += d));
    const exited = new Promise((r) => run.once("exit", r));
    await expect.poll(() => existsSync(marker), { timeout: 300_000, interval: 100 }).toBe(true);
    return { node, server, run, exited, providerPid: Number(readFileSync(marker, "utf8")), output: () => output };
  }

  /** The next up (the operator releases the killed run's lock first) unseals the store with the keys in custody. */
  function releaseLock(node: TestNode): void {
    try {
      node.pulumi("cancel", "--stack", node.stack, "--yes");
    } catch {
      // not locked
    }
  }

  async function converges(node: TestNode, server: OpenBaoServer): Promise<void> {
    releaseLock(node);
    const record = readCustody(custodyFile(node), CUSTODY_SECRET)!;
    expect(record.keys).toHaveLength(5);
    expectOk(await node.run("up"));
    expect(server.status()).toMatchObject({ initialized: true, sealed: false });
    expect(readCustody(custodyFile(node), CUSTODY_SECRET)!.keys).toEqual(record.keys);
    expect(existsSync(`${custodyFile(node)}.init-started`)).toBe(false);
    expect(changedNames(expectOk(await node.run("preview")))).toEqual([]);
  }

  it("kill -9 of a plain pulumi up: the provider host writes the keys to custody, then ends", async () => {
    const { node, server, run, exited, providerPid } = await pausedBeforeCustody("hold-cli", "cli");
    process.kill(run.pid!, "SIGKILL");
    await exited;
    await expect.poll(() => alive(providerPid), { timeout: 15_000, interval: 250 }).toBe(false);
    expect(server.status()).toMatchObject({ initialized: true, sealed: true });
    await converges(node, server);
  });

  it("SIGTERM to the runner's group: the runner kills the run but the provider host inside the step, which finishes it", async () => {
    const { node, server, run, exited, providerPid, output } = await pausedBeforeCustody("hold-runner", "runner");
    process.kill(-run.pid!, "SIGTERM");
    await exited;
    expect(output()).toMatch(/edge-node: SIGTERM: stopped this run/);
    await expect.poll(() => alive(providerPid), { timeout: 15_000, interval: 250 }).toBe(false);
    expect(server.status()).toMatchObject({ initialized: true, sealed: true });
    await converges(node, server);
  });

  it("kill -9 of the provider host itself inside the step: the next up names the lost keys and what to do, in one line", async () => {
    const { node, server, run, exited, providerPid } = await pausedBeforeCustody("hold-host", "runner");
    process.kill(providerPid, "SIGKILL");
    process.kill(-run.pid!, "SIGKILL");
    await exited;
    expect(server.status()).toMatchObject({ initialized: true, sealed: true });
    expect(existsSync(custodyFile(node))).toBe(false);
    releaseLock(node);
    const refused = await node.run("up");
    expect(refused.status).not.toBe(0);
    expect(refused.stdout + refused.stderr).toMatch(/was initialized during a run of this stack \(started at .*\) that never wrote its unseal keys to .*custody \(its provider host was killed outright.*\): the store returns those keys once, so they are lost; the store was never unsealed and holds no data: empty its storage/);
  });
});
