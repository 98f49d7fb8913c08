// The config store's DEV_MODE, the production guard, and bad input, through the real CLI against a real etcd.
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { etcdctl, EtcdServer } from "../support/etcd-server";
import { expectOk, freePort, refusingPort, RunResult, TestNode } from "../support/harness";

const SERVICES = [{ name: "etcd" }, { name: "svc-a" }, { name: "svc-b" }];
const stackOutputs = (node: TestNode) => JSON.parse(node.exportState()).deployment.resources.find((r: { type: string }) => r.type === "pulumi:pulumi:Stack").outputs;

describe("DEV_MODE on a real etcd (plain http, no auth)", { timeout: 600_000 }, () => {
  const node = new TestNode("config-store-dev");
  let etcd: EtcdServer;
  let up: RunResult;

  beforeAll(async () => {
    const [port, peerPort] = [await freePort(), await freePort()];
    etcd = new EtcdServer({ secretsRoot: node.secretsRoot, dataDir: join(node.root, "etcd"), port, peerPort, devMode: true });
    const defaults = join(node.root, "defaults.json");
    writeFileSync(defaults, JSON.stringify({ "/GlobalEnv/": { PY_LOG_LEVEL: "DEBUG" }, "/svc-a/config": { dev: true } }));
    node.configure({ services: SERVICES, configStore: { devMode: true, endpoint: etcd.endpoint, defaultConfigFile: defaults, waitTimeoutSeconds: 60 } });
    etcd.start();
    up = expectOk(await node.run("up"));
  }, 600_000);
  afterAll(() => {
    etcd?.stop();
    node.cleanup();
  });

  it("prints the DEV_MODE warning on every run", async () => {
    expect(up.stderr).toContain("warning: DEV_MODE: the config store runs WITHOUT TLS, WITHOUT authentication and WITHOUT ZeroMQ CURVE keys");
    const preview = expectOk(await node.run("preview"));
    expect(preview.steps).toEqual([]);
    expect(preview.stderr).toContain("warning: DEV_MODE:");
  });

  it("writes DEV_MODE and the default configuration over plain http, without users, keys or client certificates", async () => {
    const get = async (key: string) => (await etcdctl(etcd.endpoint, {}, "get", "--print-value-only", key)).stdout.trim();
    expect(await get("/GlobalEnv/DEV_MODE")).toBe("true");
    expect(JSON.parse(await get("/GlobalEnv/"))).toEqual({ PY_LOG_LEVEL: "DEBUG" });
    expect(JSON.parse(await get("/svc-a/config"))).toEqual({ dev: true });
    // No authentication: anyone reads and writes anything, and there are no users.
    expect((await etcdctl(etcd.endpoint, {}, "put", "/svc-b/anything", "x")).ok).toBe(true);
    const users = await etcdctl(etcd.endpoint, {}, "user", "list");
    expect(users.ok, users.stderr).toBe(true);
    expect(users.stdout.trim()).toBe("");
    expect(await get("/Publickeys/svc-a")).toBe("");
    expect(await get("/svc-a/private_key")).toBe("");
    for (const s of ["svc-a", "svc-b"]) expect(existsSync(join(node.secretsRoot, s, "etcd-client-cert.pem"))).toBe(false);
    const outputs = stackOutputs(node);
    expect(outputs.configStore).toEqual({ endpoint: etcd.endpoint, prefix: "" });
    expect(outputs.services["svc-a"]).not.toHaveProperty("etcdUser");
  });

  it("a production flag turns DEV_MODE into a one-line error before anything changes", async () => {
    node.configure({ services: SERVICES, configStore: { devMode: true, production: true, endpoint: etcd.endpoint } });
    const result = await node.run("up");
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("error: edge-security:configStore.devMode: DEV_MODE is not allowed on this node: configStore.production is true");
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.steps).toEqual([]);
    expect((await etcdctl(etcd.endpoint, {}, "get", "--print-value-only", "/GlobalEnv/DEV_MODE")).stdout.trim()).toBe("true");
  });
});

describe("bad config-store input", { timeout: 600_000 }, () => {
  const node = new TestNode("config-store-bad");
  afterAll(() => node.cleanup());

  it("a malformed default-config file: one line naming the file and the position, nothing created", async () => {
    const file = join(node.root, "broken.json");
    writeFileSync(file, '{\n  "/svc-a/config": {"fps": 30},\n  "/svc-b/config": {"x": 1}\n  "/GlobalEnv/": {}\n}\n');
    node.configure({ services: SERVICES, configStore: { defaultConfigFile: file } });
    const result = await node.run("up");
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(`error: edge-security:configStore.defaultConfigFile: ${file}: invalid JSON at line 4, column 3: Expected ',' or '}' after property value`);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.steps).toEqual([]);
    expect(existsSync(node.secretsRoot)).toBe(false);
  });

  it("a key that is not /<Service>/<name>, and a service missing from the stack, are refused in one line", async () => {
    const file = join(node.root, "odd.json");
    writeFileSync(file, JSON.stringify({ "no-leading-slash": 1 }));
    node.configure({ services: SERVICES, configStore: { defaultConfigFile: file } });
    expect((await node.run("preview")).stderr).toContain(`error: edge-security:configStore.defaultConfigFile: ${file}: key "no-leading-slash" is not of the form "/<Service>/<name>"`);
    node.configure({ services: SERVICES, configStore: { service: "etcd-server" } });
    expect((await node.run("preview")).stderr).toContain('error: edge-security:configStore.service: "etcd-server" is not in services');
    node.configure({ services: SERVICES, configStore: { endpoint: "http://127.0.0.1:2379" } });
    expect((await node.run("preview")).stderr).toContain('error: edge-security:configStore.endpoint: "http://127.0.0.1:2379" must be https://host:port (plain http only with devMode)');
  });

  it("an unreachable endpoint fails after the configured wait, naming the endpoint", async () => {
    const port = await refusingPort();
    node.configure({ services: SERVICES, configStore: { endpoint: `https://127.0.0.1:${port}`, waitTimeoutSeconds: 3 } });
    const started = Date.now();
    const result = await node.run("up");
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(`error: etcd at https://127.0.0.1:${port} did not answer within 3 s`);
    expect(Date.now() - started).toBeLessThan(120_000);
    // The PKI went ahead (it does not need etcd); the services' readiness files wait for the store.
    expect(existsSync(join(node.secretsRoot, "etcd", "ready"))).toBe(true);
    expect(existsSync(join(node.secretsRoot, "svc-a", "ready"))).toBe(false);
    expectOk(await node.run("destroy"));
  });
});
