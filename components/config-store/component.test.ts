// The config store's part of an EdgeNode's graph, under Pulumi mocks (no engine, no etcd): which resources,
// in which order, with which secrets; the readiness files' dependencies; 200 services.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { parseNodeConfig } from "../node-config";

const T = {
  password: "pulumi-nodejs:dynamic/edge-security:EtcdRootPassword",
  auth: "pulumi-nodejs:dynamic/edge-security:EtcdAuth",
  access: "pulumi-nodejs:dynamic/edge-security:EtcdServiceAccess",
  keys: "pulumi-nodejs:dynamic/edge-security:EtcdKeys",
  file: "pulumi-nodejs:dynamic/edge-security:PlainFile",
  serverCert: "pulumi-nodejs:dynamic/edge-security:EtcdServerCertificate",
  store: "edge-security:configstore:ConfigStore",
};

interface Registration {
  type: string;
  name: string;
  urn?: string;
  inputs: Record<string, any>;
  dependencies: string[];
  propertyDependencies: Record<string, string[]>;
  additionalSecretOutputs: string[];
}

async function build(raw: Record<string, unknown>) {
  const registrations: Registration[] = [];
  const byKey = new Map<string, Registration>();
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        const reg = byKey.get(`${args.type}::${args.name}`)!;
        reg.inputs = args.inputs;
        const fake = { certPem: "ca cert", keyPem: "ca key", trustBundlePem: "bundle", serialNumber: `serial-${args.name}`, password: "pw", rootPassword: args.inputs.rootPassword, user: args.inputs.user, certPath: args.inputs.dir && join(args.inputs.dir, "etcd-client-cert.pem"), keyPath: args.inputs.dir && join(args.inputs.dir, "etcd-client-key.pem"), path: args.inputs.path };
        return { id: `${args.name}_id`, state: { ...args.inputs, ...Object.fromEntries(Object.entries(fake).filter(([, v]) => v !== undefined)) } };
      },
      call: (args) => args.inputs,
    },
    "edge-security",
    "unit",
    false,
  );
  const monitor = (pulumi.runtime as unknown as { getMonitor(): any }).getMonitor();
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req: any, callback: (err: any, res: any) => void) => {
    const propertyDependencies: Record<string, string[]> = {};
    req.getPropertydependenciesMap().forEach((v: any, k: string) => (propertyDependencies[k] = v.getUrnsList()));
    const reg: Registration = { type: req.getType(), name: req.getName(), inputs: {}, dependencies: req.getDependenciesList(), propertyDependencies, additionalSecretOutputs: req.getAdditionalsecretoutputsList() };
    registrations.push(reg);
    byKey.set(`${reg.type}::${reg.name}`, reg);
    return register(req, (err: any, res: any) => {
      if (res) reg.urn = res.getUrn();
      callback(err, res);
    });
  };
  const { EdgeNode } = await import("../edge-node");
  const node = new EdgeNode("node", { config: parseNodeConfig(raw) });
  const services = await new Promise<any>((resolve) => node.outputs.services.apply(resolve));
  const store = node.outputs.configStore && (await new Promise<any>((resolve) => pulumi.all(node.outputs.configStore!).apply(resolve)));
  await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
  const find = (type: string, name: string) => {
    const found = registrations.filter((r) => r.type === type && r.name === name);
    expect(found, `${type} ${name}`).toHaveLength(1);
    return found[0];
  };
  const count = (type: string) => registrations.filter((r) => r.type === type).length;
  return { registrations, services, store, find, count };
}

const dir = mkdtempSync(join(tmpdir(), "edge-unit-store-graph-"));
const defaultsFile = join(dir, "eii_config.json");
writeFileSync(defaultsFile, JSON.stringify({ "/GlobalEnv/": { A: 1 }, "/svc-a/config": { fps: 30 }, "/svc-b/config": "x" }));
const SERVICES = [{ name: "etcd" }, { name: "svc-a", owner: { uid: 4242, gid: 4343 } }, { name: "svc-b" }, { name: "svc-c" }];
const ROOT = "/run/unit/secrets";

describe("ConfigStore graph (Pulumi mocks)", { timeout: 120_000 }, () => {
  it("registers the root password, auth, one identity per client, the config groups, and nothing for a stack without it", async () => {
    const { count, find, services, store } = await build({ secretsRoot: ROOT, services: SERVICES, configStore: { prefix: "/eii", defaultConfigFile: defaultsFile } });
    expect([count(T.store), count(T.password), count(T.auth), count(T.access), count(T.keys)]).toEqual([1, 1, 1, 3, 3]);
    expect(find(T.access, "svc-a-etcd").inputs).toMatchObject({ service: "svc-a", user: "svc-a", prefix: "/eii", dir: join(ROOT, "svc-a"), uid: 4242, gid: 4343, endpoint: "https://127.0.0.1:2379" });
    expect(find(T.keys, "svc-a-etcd-config").inputs.defaults).toEqual({ "/eii/svc-a/config": '{"fps":30}' });
    expect(find(T.keys, "config-store-global-env").inputs.defaults).toEqual({ "/eii/GlobalEnv/": '{"A":1}', "/eii/GlobalEnv/DEV_MODE": "false" });
    expect(store).toEqual({ endpoint: "https://127.0.0.1:2379", prefix: "/eii", caCertPath: join(ROOT, "ca.pem") });
    expect(services["svc-a"]).toMatchObject({ etcdUser: "svc-a", etcdCertPath: join(ROOT, "svc-a", "etcd-client-cert.pem"), etcdKeyPath: join(ROOT, "svc-a", "etcd-client-key.pem") });
    expect(services.etcd).not.toHaveProperty("etcdUser");

    const without = await build({ secretsRoot: ROOT, services: SERVICES });
    expect(without.registrations.filter((r) => r.type.includes("Etcd") || r.type === T.store)).toEqual([]);
    expect(without.store).toBeUndefined();
  });

  it("orders: server readiness -> auth -> identities and config -> the clients' readiness files (the server's own does not wait)", async () => {
    const { find } = await build({ secretsRoot: ROOT, services: SERVICES, configStore: { defaultConfigFile: defaultsFile } });
    const serverReady = find(T.file, "etcd-ready");
    const auth = find(T.auth, "config-store-auth");
    expect(auth.dependencies).toContain(serverReady.urn);
    expect(auth.propertyDependencies.rootPassword).toEqual([find(T.password, "config-store-root-password").urn]);
    expect(serverReady.dependencies.filter((u) => u.includes("Etcd"))).toEqual([]);
    const globals = find(T.keys, "config-store-global-env");
    expect(globals.dependencies).toContain(auth.urn);
    for (const s of ["svc-a", "svc-b", "svc-c"]) {
      const access = find(T.access, `${s}-etcd`);
      expect(access.dependencies).toContain(auth.urn);
      const ready = find(T.file, `${s}-ready`);
      expect(ready.dependencies).toEqual(expect.arrayContaining([access.urn, globals.urn]));
    }
    expect(find(T.file, "svc-a-ready").dependencies).toContain(find(T.keys, "svc-a-etcd-config").urn);
  });

  it("marks the secrets: root password, CA key, CURVE secret key", async () => {
    const { find } = await build({ secretsRoot: ROOT, services: SERVICES, configStore: {} });
    expect(find(T.password, "config-store-root-password").additionalSecretOutputs).toEqual(["password"]);
    expect(find(T.auth, "config-store-auth").additionalSecretOutputs).toEqual(expect.arrayContaining(["rootPassword", "caKeyPem"]));
    expect(find(T.access, "svc-b-etcd").additionalSecretOutputs).toEqual(expect.arrayContaining(["curveSecretKey", "caKeyPem"]));
    expect(find(T.keys, "config-store-global-env").additionalSecretOutputs).toEqual(["caKeyPem"]);
  });

  it("DEV_MODE: no password, auth or identities; config and DEV_MODE=true, ordered after the server's folder", async () => {
    const { count, find, store } = await build({ secretsRoot: ROOT, services: SERVICES, configStore: { devMode: true, defaultConfigFile: defaultsFile } });
    expect([count(T.password), count(T.auth), count(T.access), count(T.keys)]).toEqual([0, 0, 0, 3]);
    const globals = find(T.keys, "config-store-global-env");
    expect(globals.inputs.defaults["/GlobalEnv/DEV_MODE"]).toBe("true");
    expect(globals.inputs.endpoint).toBe("http://127.0.0.1:2379");
    expect(globals.inputs).not.toHaveProperty("caKeyPem");
    expect(globals.dependencies).toContain(find(T.file, "etcd-ready").urn);
    expect(store.caCertPath).toBeUndefined();
  });

  it("layout eii3: EII's file names, an env file per client, the CA copy, keys by cert_type, a secret server certificate for pem", async () => {
    const eiiFile = join(dir, "eii3.json");
    const iface = { Publishers: [{ Name: "p", Type: "zmq_tcp", EndPoint: "127.0.0.1:1", Topics: ["t"], AllowedClients: ["svc-a"] }] };
    writeFileSync(eiiFile, JSON.stringify({ "/GlobalEnv/": { A: "1" }, "/svc-a/config": { cert_type: ["zmq", "pem"] }, "/svc-a/interfaces": iface, "/svc-b/config": {}, "/svc-b/interfaces": {} }));
    const services = [{ name: "etcd", extraSans: ["172.17.0.1"] }, { name: "svc-a", owner: { uid: 4242, gid: 4343 } }, { name: "svc-b" }];
    const containers = { enabled: true, images: { "svc-a": "registry.example/eii/svc-a:3.0" } };
    const { find, count, registrations, services: outputs } = await build({ layout: "eii3", secretsRoot: ROOT, services, containers, configStore: { prefix: "/eii", defaultConfigFile: eiiFile, clientEndpoint: "172.17.0.1:2379", clientSecretsRoot: "/run/secrets" } });
    // The same settings on the service's container, with the paths of its folder's mount there.
    const container = registrations.find((r) => r.name === "svc-a-container")!;
    expect(container.inputs.envs).toEqual(
      expect.arrayContaining([
        "AppName=svc-a",
        "DEV_MODE=false",
        "ETCD_HOST=172.17.0.1",
        "ETCD_CLIENT_PORT=2379",
        "ETCD_PREFIX=/eii",
        "CONFIGMGR_CERT=/run/secrets/edge-security/svc-a_client_certificate.pem",
        "CONFIGMGR_KEY=/run/secrets/edge-security/svc-a_client_key.pem",
        "CONFIGMGR_CACERT=/run/secrets/edge-security/ca.pem",
      ]),
    );
    expect(find(T.access, "svc-a-etcd").inputs).toMatchObject({ certFile: "svc-a_client_certificate.pem", keyFile: "svc-a_client_key.pem" });
    expect(find(T.access, "svc-a-etcd").inputs).not.toHaveProperty("curveKeys");
    expect(find(T.access, "svc-b-etcd").inputs).toMatchObject({ curveKeys: false });
    expect(find(T.file, "config-store-client-ca").inputs).toMatchObject({ path: join(ROOT, "rootca/cacert.pem"), content: "bundle", mode: 0o644 });
    const env = find(T.file, "svc-a-etcd-env").inputs;
    expect(env).toMatchObject({ path: join(ROOT, "svc-a", "configmgr.env"), uid: 4242, gid: 4343 });
    expect(env.content.split("\n").slice(1)).toEqual([
      "AppName=svc-a",
      "DEV_MODE=false",
      "ETCD_HOST=172.17.0.1",
      "ETCD_CLIENT_PORT=2379",
      "ETCD_PREFIX=/eii",
      "CONFIGMGR_CERT=/run/secrets/svc-a/svc-a_client_certificate.pem",
      "CONFIGMGR_KEY=/run/secrets/svc-a/svc-a_client_key.pem",
      "CONFIGMGR_CACERT=/run/secrets/rootca/cacert.pem",
      "",
    ]);
    expect(find(T.file, "svc-a-ready").dependencies).toEqual(expect.arrayContaining([find(T.file, "svc-a-etcd-env").urn, find(T.file, "config-store-client-ca").urn]));
    expect(JSON.parse(find(T.keys, "config-store-global-env").inputs.defaults["/eii/GlobalEnv/"])).toEqual({ A: "1", DEV_MODE: "false" });
    // pem: the config gets the server certificate, its key and the CA; the group's defaults and values are secret.
    expect(count(T.serverCert)).toBe(1);
    expect(find(T.serverCert, "svc-a-etcd-server-cert").inputs).toMatchObject({ service: "svc-a", dnsNames: ["svc-a", "localhost"], keyType: "ec-p256" });
    const config = find(T.keys, "svc-a-etcd-config");
    expect(config.additionalSecretOutputs).toEqual(expect.arrayContaining(["defaults", "values", "caKeyPem"]));
    // Both inputs go to the engine as secrets (the values placeholder makes check's `values` secret in the state).
    const SECRET_SIG = "4dabf18193072939515e22adb298388d";
    expect(config.inputs.defaults[SECRET_SIG]).toBeDefined();
    expect(config.inputs.values[SECRET_SIG]).toBeDefined();
    expect(JSON.parse(config.inputs.defaults.value["/eii/svc-a/config"])).toEqual({ cert_type: ["zmq", "pem"], server_cert: "ca cert", server_key: "ca key", ca_cert: "ca cert" });
    expect(find(T.keys, "svc-b-etcd-config").additionalSecretOutputs).toEqual(["caKeyPem"]);
    expect(outputs["svc-b"]).toMatchObject({ etcdHost: "172.17.0.1", etcdPort: 2379, etcdEnvFile: join(ROOT, "svc-b", "configmgr.env") });
  });

  it("200 services: one identity per service, registered quickly", async () => {
    const names = Array.from({ length: 200 }, (_, i) => `svc-${String(i).padStart(3, "0")}`);
    const started = Date.now();
    const { count } = await build({ secretsRoot: ROOT, services: [{ name: "etcd" }, ...names.map((name) => ({ name }))], configStore: {} });
    expect(count(T.access)).toBe(200);
    expect(count(T.keys)).toBe(1);
    expect(count(T.file)).toBe(202);
    expect(Date.now() - started).toBeLessThan(60_000);
  });
});
