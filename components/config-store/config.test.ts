// The configStore section and the default-config file: defaults, checks against the services, one-line errors.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, parseNodeConfig } from "../node-config";

const SERVICES = [{ name: "etcd" }, { name: "svc-a" }, { name: "svc-b" }];
const dir = mkdtempSync(join(tmpdir(), "edge-unit-config-store-"));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const parse = (configStore: Record<string, unknown>, services: unknown[] = SERVICES) => parseNodeConfig({ services, configStore });
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

describe("configStore section", () => {
  it("is optional: stacks without it have no config store", () => {
    expect(parseNodeConfig({ services: SERVICES }).configStore).toBeUndefined();
    expect(parse({ enabled: false }).configStore).toBeUndefined();
  });

  it("defaults: https on loopback, no prefix, every service but the server is a client, GlobalEnv only", () => {
    expect(parse({}).configStore).toEqual({
      service: "etcd",
      endpoint: "https://127.0.0.1:2379",
      clientHost: "127.0.0.1",
      clientPort: 2379,
      prefix: "",
      clients: ["svc-a", "svc-b"],
      devMode: false,
      overwriteOperatorChanges: false,
      waitTimeoutSeconds: 60,
      defaults: {},
      warnings: [],
    });
    expect(parse({ devMode: true }).configStore?.endpoint).toBe("http://127.0.0.1:2379");
  });

  it("refuses DEV_MODE on a production node, and plain http without DEV_MODE (and https with it)", () => {
    expect(errorOf({ devMode: true, production: true })).toBe("edge-security:configStore.devMode: DEV_MODE is not allowed on this node: configStore.production is true");
    expect(errorOf({ endpoint: "http://127.0.0.1:2379" })).toBe('edge-security:configStore.endpoint: "http://127.0.0.1:2379" must be https://host:port (plain http only with devMode)');
    expect(errorOf({ devMode: true, endpoint: "https://127.0.0.1:2379" })).toBe('edge-security:configStore.endpoint: "https://127.0.0.1:2379" must be http://host:port (DEV_MODE has no TLS)');
    expect(errorOf({ endpoint: "127.0.0.1:2379" })).toMatch(/^edge-security:configStore\.endpoint: /);
    expect(errorOf({ endpoint: "https://127.0.0.1" })).toMatch(/must be https:\/\/host:port/);
  });

  it("checks the server's service and that the endpoint's host is in its certificate", () => {
    expect(errorOf({ service: "nope" })).toBe('edge-security:configStore.service: "nope" is not in services: the etcd server needs its certificate from the node\'s PKI');
    expect(errorOf({ endpoint: "https://etcd.example:2379" })).toBe('edge-security:configStore.endpoint: the host "etcd.example" is not in the certificate of service "etcd" (etcd, localhost, 127.0.0.1)');
    expect(parse({ endpoint: "https://etcd:2379" }).configStore?.endpoint).toBe("https://etcd:2379");
    expect(parse({ devMode: true, service: "nope" }).configStore?.clients).toEqual(["etcd", "svc-a", "svc-b"]);
  });

  it("gives client services the endpoint's host and port, or clientEndpoint's, which must be in etcd's certificate", () => {
    expect(parse({ endpoint: "https://etcd:2380" }).configStore).toMatchObject({ clientHost: "etcd", clientPort: 2380 });
    const services = [{ name: "etcd", extraSans: ["172.17.0.1", "::1"] }, { name: "svc-a" }];
    expect(parse({ clientEndpoint: "172.17.0.1:2379" }, services).configStore).toMatchObject({ endpoint: "https://127.0.0.1:2379", clientHost: "172.17.0.1", clientPort: 2379 });
    expect(parse({ clientEndpoint: "[::1]:2379" }, services).configStore).toMatchObject({ clientHost: "::1", clientPort: 2379 });
    expect(errorOf({ clientEndpoint: "10.0.0.9:2379" }, services)).toBe('edge-security:configStore.clientEndpoint: the host "10.0.0.9" is not in the certificate of service "etcd" (etcd, localhost, 127.0.0.1, 172.17.0.1, ::1): add it to that service\'s hostnames or extraSans');
    expect(errorOf({ clientEndpoint: "https://172.17.0.1:2379" }, services)).toBe('edge-security:configStore.clientEndpoint: "https://172.17.0.1:2379" must be host:port (no scheme): where client services reach etcd');
    expect(errorOf({ clientEndpoint: "172.17.0.1:0" }, services)).toMatch(/must be host:port/);
    // DEV_MODE has no certificate to check against.
    expect(parse({ devMode: true, clientEndpoint: "10.0.0.9:2379" }).configStore).toMatchObject({ clientHost: "10.0.0.9", clientPort: 2379 });
  });

  it("checks the clients and the reserved names", () => {
    expect(errorOf({ clients: ["svc-a", "ghost"] })).toBe('edge-security:configStore.clients[1]: "ghost" is not in services');
    expect(errorOf({ clients: ["etcd"] })).toBe('edge-security:configStore.clients[0]: "etcd" is the etcd server itself');
    expect(errorOf({ clients: ["svc-a", "svc-a"] })).toBe('edge-security:configStore.clients[1]: duplicate "svc-a"');
    expect(errorOf({}, [...SERVICES, { name: "root" }])).toMatch(/^edge-security:services\[3\]\.name: "root" is an etcd administrator's name/);
    expect(errorOf({}, [...SERVICES, { name: "edge-security-admin" }])).toMatch(/^edge-security:services\[3\]\.name: "edge-security-admin" is an etcd administrator's name/);
    expect(errorOf({ clients: ["GlobalEnv"] }, [...SERVICES, { name: "GlobalEnv", hostnames: ["globalenv"] }])).toBe('edge-security:configStore.clients[0]: "GlobalEnv" is a reserved etcd path');
    expect(parse({ clients: ["svc-b"] }).configStore?.clients).toEqual(["svc-b"]);
  });

  it("checks the prefix and the wait", () => {
    expect(errorOf({ prefix: "eii" })).toBe('edge-security:configStore.prefix: "eii" must be empty or start with "/" and not end with "/"');
    expect(errorOf({ prefix: "/eii/" })).toMatch(/must be empty or start with "\/"/);
    expect(errorOf({ waitTimeoutSeconds: 0 })).toBe("edge-security:configStore.waitTimeoutSeconds: must be a positive number of seconds");
    expect(errorOf({ colour: "blue" })).toBe("edge-security:configStore.colour: is not a known setting");
  });
});

describe("default-config file", () => {
  it("sorts keys by group with the prefix, stores non-strings as JSON, and warns about services not in the stack", () => {
    const path = file("ok.json", JSON.stringify({ "/GlobalEnv/": { A: "1" }, "/svc-a/config": { fps: 30 }, "/svc-b/config": "text", "/ghost/config": {}, "/ghost/more": 1 }));
    const store = parse({ prefix: "/eii", defaultConfigFile: path }).configStore!;
    expect(store.defaults).toEqual({
      GlobalEnv: { "/eii/GlobalEnv/": '{"A":"1"}' },
      "svc-a": { "/eii/svc-a/config": '{"fps":30}' },
      "svc-b": { "/eii/svc-b/config": "text" },
    });
    expect(store.warnings).toEqual([`edge-security:configStore.defaultConfigFile: ${path}: "ghost" is not a config-store client of this stack; its 2 key(s) are not loaded (/ghost/config, /ghost/more)`]);
    // A service of the stack that is not a client of the store is left out the same way.
    expect(parse({ defaultConfigFile: path, clients: ["svc-b"] }).configStore!.defaults).not.toHaveProperty("svc-a");
  });

  it("names the file and the line and column of a JSON mistake", () => {
    const path = file("bad.json", '{\n  "/svc-a/config": {"fps": 30},\n  "/svc-b/config": 1\n  "/GlobalEnv/": {}\n}\n');
    expect(errorOf({ defaultConfigFile: path })).toBe(`edge-security:configStore.defaultConfigFile: ${path}: invalid JSON at line 4, column 3: Expected ',' or '}' after property value`);
    const cut = file("cut.json", '{"/svc-a/config": {');
    expect(errorOf({ defaultConfigFile: cut })).toBe(`edge-security:configStore.defaultConfigFile: ${cut}: invalid JSON at line 1, column 20: Expected property name or '}'`);
    const empty = file("empty.json", "");
    expect(errorOf({ defaultConfigFile: empty })).toBe(`edge-security:configStore.defaultConfigFile: ${empty}: invalid JSON at line 1, column 1: unexpected end of the file`);
    expect(errorOf({ defaultConfigFile: join(dir, "missing.json") })).toBe(`edge-security:configStore.defaultConfigFile: ${join(dir, "missing.json")}: cannot be read (ENOENT)`);
    expect(errorOf({ defaultConfigFile: file("array.json", "[]") })).toMatch(/must hold a JSON object/);
  });

  it("refuses keys the stack generates itself, and keys that are not /<Service>/<name>", () => {
    expect(errorOf({ defaultConfigFile: file("pk.json", '{"/Publickeys/svc-a": "x"}') })).toMatch(/\/Publickeys\/ holds the CURVE public keys the stack generates$/);
    expect(errorOf({ defaultConfigFile: file("sk.json", '{"/svc-a/private_key": "x"}') })).toMatch(/private_key is the CURVE secret key the stack generates$/);
    expect(errorOf({ defaultConfigFile: file("dev.json", '{"/GlobalEnv/DEV_MODE": "true"}') })).toMatch(/DEV_MODE is written from the stack's configStore\.devMode$/);
    expect(errorOf({ defaultConfigFile: file("flat.json", '{"svc-a": {}}') })).toMatch(/key "svc-a" is not of the form "\/<Service>\/<name>"$/);
  });
});
