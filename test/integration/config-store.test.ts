// The config store for real: the node stack through the real CLI against a real etcd (Debian's etcd 3.4, started
// by scripts/servers/etcd.sh with the server certificate from the stack's PKI), checked with the real etcdctl
// using each service's own client certificate, openssl, and a real ZeroMQ CURVE handshake.
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as zmq from "zeromq";
import { curvePublicKeyOf } from "../../components/config-store/curve-keys";
import { etcdctl, EtcdServer } from "../support/etcd-server";
import { changedNames, expectOk, freePort, openssl, RunResult, TestNode } from "../support/harness";

const CLIENTS = ["svc-a", "svc-b", "svc-c"];
const PREFIX = "/eii";
const DEFAULTS = {
  "/GlobalEnv/": { PY_LOG_LEVEL: "INFO", GO_VERBOSE: "0" },
  "/svc-a/config": { encoding: "jpeg", fps: 30 },
  "/svc-a/interfaces": { Publishers: [{ Name: "default", Type: "zmq_tcp" }] },
  "/svc-b/config": "plain text value",
  "/ghost/config": { never: "loaded" },
};

describe("config store on a real etcd", { timeout: 600_000 }, () => {
  const node = new TestNode("config-store-it");
  const defaultsFile = join(node.root, "eii_config.json");
  let etcd: EtcdServer;
  let firstUp: RunResult;
  const dirOf = (service: string) => join(node.secretsRoot, service);
  const as = (service: string) => ({ caCert: join(dirOf(service), "ca.pem"), cert: join(dirOf(service), "etcd-client-cert.pem"), key: join(dirOf(service), "etcd-client-key.pem") });
  const get = async (service: string, key: string) => {
    const r = await etcdctl(etcd.endpoint, as(service), "get", "--print-value-only", key);
    if (!r.ok) throw new Error(`etcdctl get ${key} as ${service}: ${r.stderr}`);
    return r.stdout.replace(/\n$/, "");
  };
  const configure = (extra: Record<string, unknown> = {}) =>
    node.configure({
      services: [{ name: "etcd" }, { name: "svc-a", owner: { uid: 4242, gid: 4343 } }, { name: "svc-b", keyType: "ec-p384" }, { name: "svc-c" }],
      configStore: { endpoint: etcd.endpoint, prefix: PREFIX, defaultConfigFile: defaultsFile, waitTimeoutSeconds: 60, ...extra },
    });
  const resourceOutputs = (name: string) => JSON.parse(node.exportState()).deployment.resources.find((r: { urn: string }) => r.urn.endsWith(`::${name}`)).outputs;

  beforeAll(async () => {
    const [port, peerPort] = [await freePort(), await freePort()];
    etcd = new EtcdServer({ secretsRoot: node.secretsRoot, dataDir: join(node.root, "etcd"), port, peerPort });
    writeFileSync(defaultsFile, JSON.stringify(DEFAULTS, null, 2));
    configure();
    // The server waits for its readiness file, which this `up` writes; the providers wait for the server.
    etcd.start();
    firstUp = expectOk(await node.run("up"));
  }, 600_000);
  afterAll(() => {
    etcd?.stop();
    node.cleanup();
  });

  it("publishes the config store and each service's etcd identity in the stack outputs", () => {
    const outputs = JSON.parse(node.exportState()).deployment.resources.find((r: { type: string }) => r.type === "pulumi:pulumi:Stack").outputs;
    expect(outputs.configStore).toEqual({ endpoint: etcd.endpoint, prefix: PREFIX, caCertPath: join(node.secretsRoot, "ca.pem") });
    for (const s of CLIENTS) {
      expect(outputs.services[s]).toMatchObject({ etcdUser: s, etcdCertPath: join(dirOf(s), "etcd-client-cert.pem"), etcdKeyPath: join(dirOf(s), "etcd-client-key.pem") });
    }
    // The etcd server is no client of itself.
    expect(outputs.services.etcd).not.toHaveProperty("etcdUser");
  });

  it("writes each service a client certificate (CN = its etcd user, clientAuth only) and a 0600 key in its own folder", () => {
    for (const s of CLIENTS) {
      const cert = join(dirOf(s), "etcd-client-cert.pem");
      expect(openssl("verify", "-CAfile", join(node.secretsRoot, "ca.pem"), cert)).toContain(": OK");
      const text = openssl("x509", "-in", cert, "-noout", "-subject", "-ext", "extendedKeyUsage");
      expect(text).toContain(`CN = ${s}`);
      expect(text).toContain("TLS Web Client Authentication");
      expect(text).not.toContain("Server Authentication");
      expect(statSync(join(dirOf(s), "etcd-client-key.pem")).mode & 0o777).toBe(0o600);
      expect(openssl("pkey", "-in", join(dirOf(s), "etcd-client-key.pem"), "-pubout")).toBe(openssl("x509", "-in", cert, "-noout", "-pubkey"));
    }
    for (const f of ["etcd-client-cert.pem", "etcd-client-key.pem"]) {
      const st = statSync(join(dirOf("svc-a"), f));
      expect([st.uid, st.gid]).toEqual([4242, 4343]);
    }
  });

  it("gives every service exactly its own prefix, Publickeys and GlobalEnv: all N x N pairs with etcdctl", async () => {
    for (const s of CLIENTS) {
      const id = as(s);
      expect((await etcdctl(etcd.endpoint, id, "put", `${PREFIX}/${s}/scratch`, `written by ${s}`)).ok).toBe(true);
      expect(await get(s, `${PREFIX}/${s}/scratch`)).toBe(`written by ${s}`);
      expect(await get(s, `${PREFIX}/${s}/private_key`)).toHaveLength(40);
      expect(await get(s, `${PREFIX}/GlobalEnv/DEV_MODE`)).toBe("false");
      // Read-only where it is shared.
      for (const shared of [`${PREFIX}/Publickeys/${s}`, `${PREFIX}/GlobalEnv/DEV_MODE`]) {
        const put = await etcdctl(etcd.endpoint, id, "put", shared, "tampered");
        expect(put.ok, `${s} must not write ${shared}`).toBe(false);
        expect(put.stderr).toContain("permission denied");
      }
      // The ranges carry the prefix: the same path without it is not granted.
      expect((await etcdctl(etcd.endpoint, id, "put", `/${s}/scratch`, "x")).stderr).toContain("permission denied");
      for (const other of CLIENTS) {
        expect(await get(s, `${PREFIX}/Publickeys/${other}`)).toHaveLength(40);
        if (other === s) continue;
        for (const key of [`${PREFIX}/${other}/private_key`, `${PREFIX}/${other}/config`, `${PREFIX}/${other}/scratch`]) {
          const read = await etcdctl(etcd.endpoint, id, "get", key);
          expect(read.ok, `${s} must not read ${key}`).toBe(false);
          expect(read.stderr).toContain("permission denied");
        }
        expect((await etcdctl(etcd.endpoint, id, "put", `${PREFIX}/${other}/scratch`, "x")).stderr).toContain("permission denied");
      }
      expect((await etcdctl(etcd.endpoint, id, "del", `${PREFIX}/${s}/scratch`)).ok).toBe(true);
    }
    // Without a client certificate the server refuses the connection; the server's own certificate (CN etcd)
    // is no etcd user.
    expect((await etcdctl(etcd.endpoint, { caCert: join(node.secretsRoot, "ca.pem") }, "get", `${PREFIX}/GlobalEnv/DEV_MODE`)).ok).toBe(false);
    const asServer = { caCert: join(dirOf("etcd"), "ca.pem"), cert: join(dirOf("etcd"), "cert.pem"), key: join(dirOf("etcd"), "key.pem") };
    expect((await etcdctl(etcd.endpoint, asServer, "get", `${PREFIX}/GlobalEnv/DEV_MODE`)).stderr).toMatch(/user name not found|permission denied/);
  });

  it("loads the default configuration of the stack's services only, and warns about the others", async () => {
    expect(JSON.parse(await get("svc-a", `${PREFIX}/svc-a/config`))).toEqual(DEFAULTS["/svc-a/config"]);
    expect(JSON.parse(await get("svc-a", `${PREFIX}/svc-a/interfaces`))).toEqual(DEFAULTS["/svc-a/interfaces"]);
    expect(await get("svc-b", `${PREFIX}/svc-b/config`)).toBe("plain text value");
    expect(JSON.parse(await get("svc-c", `${PREFIX}/GlobalEnv/`))).toEqual(DEFAULTS["/GlobalEnv/"]);
    expect(firstUp.stderr).toMatch(/warning: .*"ghost" is not a config-store client of this stack; its 1 key\(s\) are not loaded \(\/ghost\/config\)/);
    // Nothing under /eii/ghost/: listed with the etcd server's data (etcdctl reads it as svc-a cannot).
    const outputs = resourceOutputs("config-store-global-env");
    expect(outputs.values).toEqual({ [`${PREFIX}/GlobalEnv/`]: JSON.stringify(DEFAULTS["/GlobalEnv/"]), [`${PREFIX}/GlobalEnv/DEV_MODE`]: "false" });
    expect(JSON.stringify(JSON.parse(node.exportState()))).not.toContain("/ghost/config\"");
  });

  it("the CURVE keys read back from etcd make a real ZeroMQ CURVE handshake; a wrong server key does not", async () => {
    const serverSecret = await get("svc-b", `${PREFIX}/svc-b/private_key`);
    const serverPublic = await get("svc-a", `${PREFIX}/Publickeys/svc-b`);
    const clientSecret = await get("svc-a", `${PREFIX}/svc-a/private_key`);
    const clientPublic = await get("svc-a", `${PREFIX}/Publickeys/svc-a`);
    expect(curvePublicKeyOf(serverSecret)).toBe(serverPublic);
    expect(curvePublicKeyOf(clientSecret)).toBe(clientPublic);

    const server = new zmq.Reply({ curveServer: true, curveSecretKey: serverSecret, linger: 0 });
    await server.bind("tcp://127.0.0.1:*");
    const endpoint = server.lastEndpoint!;
    const answering = (async () => {
      for await (const [msg] of server) await server.send(`pong: ${msg.toString()}`);
    })().catch(() => undefined);
    try {
      const client = new zmq.Request({ curveServerKey: serverPublic, curvePublicKey: clientPublic, curveSecretKey: clientSecret, receiveTimeout: 5_000, linger: 0 });
      client.connect(endpoint);
      await client.send("ping");
      expect((await client.receive())[0].toString()).toBe("pong: ping");
      client.close();

      // svc-c's public key is not svc-b's: the handshake fails and no reply ever comes.
      const wrongServerKey = await get("svc-a", `${PREFIX}/Publickeys/svc-c`);
      const intruder = new zmq.Request({ curveServerKey: wrongServerKey, curvePublicKey: clientPublic, curveSecretKey: clientSecret, receiveTimeout: 2_000, sendTimeout: 2_000, linger: 0 });
      intruder.connect(endpoint);
      await intruder.send("ping").catch(() => undefined);
      await expect(intruder.receive()).rejects.toThrow();
      intruder.close();
    } finally {
      server.close();
      await answering;
    }
  });

  it("a second up changes nothing", async () => {
    const up = expectOk(await node.run("up"));
    expect(up.steps).toEqual([]);
    expect(Object.keys(up.changeSummary)).toEqual(["same"]);
  });

  it("keeps the root password, the CURVE secret keys and every private key out of the state in plaintext", async () => {
    const state = node.exportState();
    expect(state).not.toContain("PRIVATE KEY");
    for (const s of CLIENTS) {
      expect(state).not.toContain(await get(s, `${PREFIX}/${s}/private_key`));
      for (const line of readFileSync(join(dirOf(s), "etcd-client-key.pem"), "utf8").split("\n").filter((l) => l && !l.startsWith("-----"))) expect(state).not.toContain(line);
    }
    const auth = resourceOutputs("config-store-auth");
    expect(auth.rootPassword).toHaveProperty("ciphertext");
    expect(resourceOutputs("svc-a-etcd").curveSecretKey).toHaveProperty("ciphertext");
    expect(resourceOutputs("config-store-root-password").password).toHaveProperty("ciphertext");
  });

  it("a key deleted out of band is seen by refresh and restored by up, with the same key; refresh keeps secrets secret", async () => {
    const secret = await get("svc-b", `${PREFIX}/svc-b/private_key`);
    expect((await etcdctl(etcd.endpoint, as("svc-b"), "del", `${PREFIX}/svc-b/private_key`)).stdout.trim()).toBe("1");
    expectOk(await node.run("refresh"));
    expect(resourceOutputs("svc-b-etcd").etcd).toBe("secret key missing");
    const preview = expectOk(await node.run("preview"));
    expect(changedNames(preview)).toEqual(["svc-b-etcd"]);
    const up = expectOk(await node.run("up"));
    expect(changedNames(up)).toEqual(["svc-b-etcd"]);
    expect(await get("svc-b", `${PREFIX}/svc-b/private_key`)).toBe(secret);
    expect(expectOk(await node.run("preview")).steps).toEqual([]);
    // Refreshed state and inputs hold no secret in plaintext either.
    const state = node.exportState();
    expect(state).not.toContain("PRIVATE KEY");
    expect(state).not.toContain(secret);
  });

  it("keys changed by operators at run time are reported by refresh, kept, and overwritten only when the config says so", async () => {
    const operatorValue = JSON.stringify({ encoding: "png", fps: 5 });
    expect((await etcdctl(etcd.endpoint, as("svc-a"), "put", `${PREFIX}/svc-a/config`, operatorValue)).ok).toBe(true);
    expect((await etcdctl(etcd.endpoint, as("svc-b"), "del", `${PREFIX}/svc-b/config`)).ok).toBe(true);

    expectOk(await node.run("refresh"));
    expect(resourceOutputs("svc-a-etcd-config").operatorChanged).toEqual([`${PREFIX}/svc-a/config`]);
    expect(resourceOutputs("svc-b-etcd-config").missing).toEqual([`${PREFIX}/svc-b/config`]);

    // Kept by default: only the deleted key comes back, and the preview names it.
    const preview = expectOk(await node.run("preview"));
    expect(changedNames(preview)).toEqual(["svc-b-etcd-config"]);
    expect(preview.stdout).toContain(`+ ${PREFIX}/svc-b/config: "plain text value"`);
    expectOk(await node.run("up"));
    expect(await get("svc-b", `${PREFIX}/svc-b/config`)).toBe("plain text value");
    expect(await get("svc-a", `${PREFIX}/svc-a/config`)).toBe(operatorValue);
    expect(expectOk(await node.run("preview")).steps).toEqual([]);

    // The config says so: overwriteOperatorChanges.
    configure({ overwriteOperatorChanges: true });
    const overwrite = expectOk(await node.run("preview"));
    expect(changedNames(overwrite)).toEqual(expect.arrayContaining(["svc-a-etcd-config"]));
    expect(overwrite.stdout).toContain(`~ ${PREFIX}/svc-a/config`);
    expect(overwrite.stdout).toMatch(/~ encoding: "png" => "jpeg"/);
    expectOk(await node.run("up"));
    expect(JSON.parse(await get("svc-a", `${PREFIX}/svc-a/config`))).toEqual(DEFAULTS["/svc-a/config"]);
    configure();
    expectOk(await node.run("up"));
  });

  it("a changed default-config file previews exactly the keys that change, and up writes them", async () => {
    writeFileSync(defaultsFile, JSON.stringify({ ...DEFAULTS, "/svc-c/config": { added: true }, "/svc-a/config": { encoding: "jpeg", fps: 60 } }, null, 2));
    const preview = expectOk(await node.run("preview"));
    expect(changedNames(preview)).toEqual(["svc-a-etcd-config", "svc-c-etcd-config"]);
    expect(preview.stdout).toContain(`~ ${PREFIX}/svc-a/config`);
    expect(preview.stdout).toMatch(/~ fps\s*: 30 => 60/);
    expect(preview.steps.find((s) => s.name === "svc-c-etcd-config")?.op).toBe("create");
    expect(preview.stdout).toContain(`${PREFIX}/svc-c/config`);
    expect(preview.stdout).not.toMatch(new RegExp(`[~+-] ${PREFIX}/svc-a/interfaces`));
    expectOk(await node.run("up"));
    expect(JSON.parse(await get("svc-a", `${PREFIX}/svc-a/config`)).fps).toBe(60);
    expect(JSON.parse(await get("svc-c", `${PREFIX}/svc-c/config`))).toEqual({ added: true });
    writeFileSync(defaultsFile, JSON.stringify(DEFAULTS, null, 2));
    expectOk(await node.run("up"));
    expect((await etcdctl(etcd.endpoint, as("svc-c"), "get", "--print-value-only", `${PREFIX}/svc-c/config`)).stdout).toBe("");
  });

  it("rotates one service's CURVE keys and client certificate with --replace", async () => {
    const oldPublic = await get("svc-c", `${PREFIX}/Publickeys/svc-c`);
    const oldCert = readFileSync(join(dirOf("svc-c"), "etcd-client-cert.pem"), "utf8");
    const urn = JSON.parse(node.exportState()).deployment.resources.find((r: { urn: string }) => r.urn.endsWith("::svc-c-etcd")).urn;
    const up = expectOk(await node.run("up", ["--replace", urn]));
    expect(changedNames(up)).toEqual(["svc-c-etcd"]);
    const newPublic = await get("svc-c", `${PREFIX}/Publickeys/svc-c`);
    expect(newPublic).not.toBe(oldPublic);
    expect(curvePublicKeyOf(await get("svc-c", `${PREFIX}/svc-c/private_key`))).toBe(newPublic);
    expect(readFileSync(join(dirOf("svc-c"), "etcd-client-cert.pem"), "utf8")).not.toBe(oldCert);
    expect(await get("svc-a", `${PREFIX}/Publickeys/svc-c`)).toBe(newPublic);
  });

  it("destroy removes the users, roles, keys and client certificates, and turns authentication off", async () => {
    // Keep copies to look inside etcd afterwards: destroy removes every service folder, the server's too
    // (etcd reads its certificate on each TLS handshake, so it is put back for the check below).
    const keep = (service: string, file: string) => readFileSync(join(dirOf(service), file), "utf8");
    const server = { cert: keep("etcd", "cert.pem"), key: keep("etcd", "key.pem") };
    const client = { caCert: join(node.root, "ca-copy.pem"), cert: join(node.root, "svc-a-cert.pem"), key: join(node.root, "svc-a-key.pem") };
    writeFileSync(client.caCert, keep("etcd", "ca.pem"));
    writeFileSync(client.cert, keep("svc-a", "etcd-client-cert.pem"));
    writeFileSync(client.key, keep("svc-a", "etcd-client-key.pem"));

    expectOk(await node.run("destroy"));
    for (const s of CLIENTS) expect(() => statSync(join(dirOf(s), "etcd-client-cert.pem"))).toThrow(/ENOENT/);

    mkdirSync(dirOf("etcd"), { recursive: true });
    writeFileSync(join(dirOf("etcd"), "cert.pem"), server.cert);
    writeFileSync(join(dirOf("etcd"), "key.pem"), server.key, { mode: 0o600 });
    // Authentication is off: the old svc-a certificate now sees everything, and there is nothing left.
    const users = await etcdctl(etcd.endpoint, client, "user", "list");
    expect(users.ok, users.stderr).toBe(true);
    expect(users.stdout.trim()).toBe("");
    expect((await etcdctl(etcd.endpoint, client, "role", "list")).stdout.trim()).toBe("");
    const keys = await etcdctl(etcd.endpoint, client, "get", "--prefix", "--keys-only", `${PREFIX}/`);
    expect(keys.ok, keys.stderr).toBe(true);
    expect(keys.stdout.trim()).toBe("");
  });
});
