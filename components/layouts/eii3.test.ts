// The EII 3 layout: what it asks of the config store, and the default configuration checked the way EII's
// ConfigMgr reads it, each mistake one line naming the file and the key, before anything is written.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, parseNodeConfig } from "../node-config";

const SERVICES = [{ name: "etcd" }, { name: "VideoIngestion" }, { name: "VideoAnalytics" }, { name: "Visualizer" }];
const EXAMPLE = JSON.parse(readFileSync(resolve(__dirname, "../../stacks/eii-node/eii_config.json"), "utf8"));
const dir = mkdtempSync(join(tmpdir(), "edge-unit-eii3-"));
let files = 0;
/** The example config with changes (a value of undefined deletes the key). */
function configFile(changes: Record<string, unknown> = {}): string {
  const path = join(dir, `eii_config.${files++}.json`);
  const config = { ...EXAMPLE, ...changes };
  for (const [k, v] of Object.entries(changes)) if (v === undefined) delete config[k];
  writeFileSync(path, JSON.stringify(config));
  return path;
}
const parse = (configStore: Record<string, unknown>, services: unknown[] = SERVICES) => parseNodeConfig({ layout: "eii3", services, configStore: { prefix: "/eii", ...configStore } });
function errorOf(configStore: Record<string, unknown>, services: unknown[] = SERVICES): string {
  try {
    parse(configStore, services);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).not.toMatch(/[\r\n]/);
    return (err as Error).message;
  }
  throw new Error("expected a ConfigError");
}
const at = (file: string) => `edge-security:configStore.defaultConfigFile: ${file}:`;

describe("layout eii3", () => {
  it("asks for EII's file names, an env file per client, DEV_MODE in /GlobalEnv/, CURVE keys where cert_type holds zmq", () => {
    const store = parse({ defaultConfigFile: configFile() }).configStore!;
    expect(store.layout).toEqual({
      certFile: "{service}_client_certificate.pem",
      keyFile: "{service}_client_key.pem",
      caFile: "rootca/cacert.pem",
      envFile: {
        name: "configmgr.env",
        variables: { AppName: "service", DEV_MODE: "devMode", ETCD_HOST: "host", ETCD_CLIENT_PORT: "port", ETCD_PREFIX: "prefix", CONFIGMGR_CERT: "certPath", CONFIGMGR_KEY: "keyPath", CONFIGMGR_CACERT: "caCertPath" },
      },
      devModeInGlobalEnv: true,
      curveKeyClients: ["VideoIngestion", "VideoAnalytics", "Visualizer"],
      serverCertificates: {},
    });
    // Without the switch, or with "default", the store is as before.
    expect(parseNodeConfig({ services: SERVICES, configStore: { defaultConfigFile: configFile() } }).configStore!.layout).toBeUndefined();
    expect(parseNodeConfig({ layout: "default", services: SERVICES, configStore: {} }).configStore!.layout).toBeUndefined();
    expect(() => parseNodeConfig({ layout: "eii", services: SERVICES })).toThrow("edge-security:layout: must be one of default, edgex4, eii3");
  });

  it("a client whose cert_type has no zmq gets no keys, and then no zmq_tcp interface may need them", () => {
    const noZmq = { ...EXAMPLE["/Visualizer/config"], cert_type: ["pem"] };
    const file = configFile({
      "/Visualizer/config": noZmq,
      "/Visualizer/interfaces": { Subscribers: [] },
      "/VideoIngestion/interfaces": { Publishers: [{ ...EXAMPLE["/VideoIngestion/interfaces"].Publishers[0], AllowedClients: ["VideoAnalytics"] }] },
      "/VideoAnalytics/interfaces": { Subscribers: EXAMPLE["/VideoAnalytics/interfaces"].Subscribers },
    });
    const vi = configFile({ "/Visualizer/config": noZmq, "/Visualizer/interfaces": { Subscribers: [] } });
    expect(parse({ defaultConfigFile: file }).configStore!.layout!.curveKeyClients).toEqual(["VideoIngestion", "VideoAnalytics"]);
    expect(errorOf({ defaultConfigFile: vi })).toBe(
      `${at(vi)} "/VideoIngestion/interfaces" Publishers[0].AllowedClients names "Visualizer", a service without CURVE keys (it must be a config-store client whose "/<App>/config" cert_type holds "zmq")`,
    );
    const own = configFile({ "/Visualizer/config": noZmq });
    expect(errorOf({ defaultConfigFile: own })).toMatch(/"\/VideoIngestion\/interfaces" Publishers\[0\]\.AllowedClients names "Visualizer"|"\/Visualizer\/interfaces" Subscribers\[0\] is zmq_tcp but Visualizer has no CURVE keys/);
    // DEV_MODE has no keys at all: nothing to check.
    expect(parse({ devMode: true, defaultConfigFile: own }).configStore!.devMode).toBe(true);
  });

  it("cert_type pem (or else der) asks for server_cert, server_key and ca_cert in that client's config, outside DEV_MODE", () => {
    const certs = {
      "/VideoAnalytics/config": { ...EXAMPLE["/VideoAnalytics/config"], cert_type: ["zmq", "der"] },
      "/Visualizer/config": { ...EXAMPLE["/Visualizer/config"], cert_type: ["der", "pem", "zmq"] },
    };
    expect(parse({ defaultConfigFile: configFile(certs) }).configStore!.layout!.serverCertificates).toEqual({ VideoAnalytics: "der", Visualizer: "pem" });
    expect(parse({ devMode: true, defaultConfigFile: configFile(certs) }).configStore!.layout!.serverCertificates).toEqual({});
    const own = configFile({ "/Visualizer/config": { ...certs["/Visualizer/config"], server_key: "x" } });
    expect(errorOf({ defaultConfigFile: own })).toBe(`${at(own)} "/Visualizer/config" server_key is written by the stack (cert_type ["der","pem","zmq"]): remove it from the file`);
    expect(errorOf({ defaultConfigFile: configFile({ "/Visualizer/config": { cert_type: "zmq" } }) })).toMatch(/"\/Visualizer\/config" cert_type must be a list of strings such as \["zmq"\]$/);
  });

  it("refuses a client without /<App>/config or /<App>/interfaces", () => {
    const noInterfaces = configFile({ "/VideoAnalytics/interfaces": undefined });
    expect(errorOf({ defaultConfigFile: noInterfaces })).toBe(
      `${at(noInterfaces)} "/VideoAnalytics/interfaces" is missing or not an object: EII's ConfigMgr needs /<App>/config and /<App>/interfaces for every client (VideoAnalytics is one)`,
    );
    const noConfig = configFile({ "/Visualizer/config": undefined });
    expect(errorOf({ defaultConfigFile: noConfig })).toMatch(/"\/Visualizer\/config" is missing or not an object/);
    expect(errorOf({ defaultConfigFile: configFile({ "/Visualizer/config": "display=true" }) })).toMatch(/"\/Visualizer\/config" is missing or not an object/);
    expect(errorOf({})).toBe("edge-security:configStore.defaultConfigFile: is required by layout eii3: EII's ConfigMgr reads /<App>/config and /<App>/interfaces of every client");
    // Only clients are checked: a service outside configStore.clients needs nothing.
    expect(parse({ devMode: true, defaultConfigFile: noConfig, clients: ["VideoIngestion", "VideoAnalytics"] }).configStore!.clients).toEqual(["VideoIngestion", "VideoAnalytics"]);
  });

  it("refuses /GlobalEnv/ members that are not strings, and a DEV_MODE of its own", () => {
    const number = configFile({ "/GlobalEnv/": { ...EXAMPLE["/GlobalEnv/"], GO_VERBOSE: 0 } });
    expect(errorOf({ defaultConfigFile: number })).toBe(`${at(number)} "/GlobalEnv/" member "GO_VERBOSE" is 0, not a string: EII's ConfigMgr sets it as an environment variable`);
    const dev = configFile({ "/GlobalEnv/": { DEV_MODE: "false" } });
    expect(errorOf({ defaultConfigFile: dev })).toBe(`${at(dev)} "/GlobalEnv/" member "DEV_MODE" is written from the stack's configStore.devMode`);
    const list = configFile({ "/GlobalEnv/": ["INFO"] });
    expect(errorOf({ defaultConfigFile: list })).toMatch(/"\/GlobalEnv\/" must be an object of strings/);
  });

  it("refuses AllowedClients, PublisherAppName or ServerAppName naming a service without keys; \"*\" is every key", () => {
    const ghost = configFile({ "/VideoIngestion/interfaces": { Publishers: [{ ...EXAMPLE["/VideoIngestion/interfaces"].Publishers[0], AllowedClients: ["VideoAnalytics", "Ghost"] }] } });
    expect(errorOf({ defaultConfigFile: ghost })).toMatch(/"\/VideoIngestion\/interfaces" Publishers\[0\]\.AllowedClients names "Ghost", a service without CURVE keys/);
    const sub = configFile({ "/Visualizer/interfaces": { Subscribers: [{ ...EXAMPLE["/Visualizer/interfaces"].Subscribers[0], PublisherAppName: "WebVisualizer" }] } });
    expect(errorOf({ defaultConfigFile: sub })).toMatch(/"\/Visualizer\/interfaces" Subscribers\[0\]\.PublisherAppName names "WebVisualizer", a service without CURVE keys/);
    const client = configFile({ "/Visualizer/interfaces": { Clients: [{ Name: "c", Type: "zmq_tcp", EndPoint: "127.0.0.1:1", ServerAppName: "Nobody" }] } });
    expect(errorOf({ defaultConfigFile: client })).toMatch(/"\/Visualizer\/interfaces" Clients\[0\]\.ServerAppName names "Nobody"/);
    const star = configFile({ "/VideoIngestion/interfaces": { Servers: [{ Name: "s", Type: "zmq_tcp", EndPoint: "127.0.0.1:1", AllowedClients: ["*"] }] } });
    expect(parse({ defaultConfigFile: star }).configStore!.clients).toHaveLength(3);
    // zmq_ipc needs no keys.
    const ipc = configFile({ "/VideoIngestion/interfaces": { Publishers: [{ Name: "p", Type: "zmq_ipc", EndPoint: "/tmp/x", Topics: ["t"], AllowedClients: ["Ghost"] }] } });
    expect(parse({ defaultConfigFile: ipc }).configStore!.clients).toHaveLength(3);
  });

  it("keeps the name of the CA's folder for the CA", () => {
    expect(errorOf({ defaultConfigFile: configFile() }, [...SERVICES, { name: "rootca" }])).toBe('edge-security:services[4].name: "rootca" is where the EII layout puts the CA (rootca/cacert.pem under the secrets root)');
  });
});
