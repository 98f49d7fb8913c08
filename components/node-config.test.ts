// parseNodeConfig: defaults, SAN derivation, and one-line errors that name the offending key.
import { describe, expect, it } from "vitest";
import { ConfigError, DEFAULT_SECRETS_ROOT, parseNodeConfig } from "./node-config";

/** The ConfigError parseNodeConfig throws for `raw` (fails the test when it does not throw one). */
function configError(raw: Record<string, unknown>): ConfigError {
  try {
    parseNodeConfig(raw);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(raw)}`);
}

/** Asserts one line, starting with exactly `<key>: `, and returns the rest of the message. */
function expectKeyError(raw: Record<string, unknown>, key: string): string {
  const { message } = configError(raw);
  expect(message).not.toMatch(/[\r\n]/);
  expect(message.startsWith(`${key}: `), `"${message}" should start with "${key}: "`).toBe(true);
  return message.slice(key.length + 2);
}

describe("parseNodeConfig defaults", () => {
  it("fills in the secrets root, the CA and the service defaults", () => {
    const config = parseNodeConfig({ services: [{ name: "a" }] });
    expect(config.secretsRoot).toBe(DEFAULT_SECRETS_ROOT);
    expect(config.secretsRoot).toBe("/run/edge-security/secrets");
    expect(config.ca).toEqual({ source: "self-signed", commonName: "edge-security node CA", keyType: "ec-p384", lifetimeDays: 3650 });
    expect(config.services).toEqual([
      { name: "a", dnsNames: ["a", "localhost"], ipAddresses: ["127.0.0.1"], keyType: "ec-p256", lifetimeDays: 365, owner: {} },
    ]);
  });

  it("treats undefined top-level values (unset Pulumi config keys) as absent", () => {
    const config = parseNodeConfig({ secretsRoot: undefined, pki: undefined, services: [{ name: "a" }] });
    expect(config.secretsRoot).toBe(DEFAULT_SECRETS_ROOT);
    expect(config.ca.source).toBe("self-signed");
  });

  it("keeps an explicit absolute secrets root", () => {
    expect(parseNodeConfig({ secretsRoot: "/srv/secrets", services: [{ name: "a" }] }).secretsRoot).toBe("/srv/secrets");
  });

  it("uses the hostnames instead of the name when they are given", () => {
    const [svc] = parseNodeConfig({ services: [{ name: "a", hostnames: ["edgex-a", "a.edge.local"] }] }).services;
    expect(svc.dnsNames).toEqual(["edgex-a", "a.edge.local", "localhost"]);
    expect(svc.dnsNames).not.toContain("a");
  });

  it("leaves out localhost and 127.0.0.1 when includeLocalhost is false, per service or by default", () => {
    const perService = parseNodeConfig({ services: [{ name: "a", includeLocalhost: false }, { name: "b" }] }).services;
    expect(perService[0]).toMatchObject({ dnsNames: ["a"], ipAddresses: [] });
    expect(perService[1]).toMatchObject({ dnsNames: ["b", "localhost"], ipAddresses: ["127.0.0.1"] });

    const byDefault = parseNodeConfig({ pki: { serviceDefaults: { includeLocalhost: false } }, services: [{ name: "a" }, { name: "b", includeLocalhost: true }] }).services;
    expect(byDefault[0]).toMatchObject({ dnsNames: ["a"], ipAddresses: [] });
    expect(byDefault[1]).toMatchObject({ dnsNames: ["b", "localhost"], ipAddresses: ["127.0.0.1"] });
  });

  it("sends IPv4 and IPv6 addresses in extraSans to ipAddresses and names to dnsNames", () => {
    const [svc] = parseNodeConfig({ services: [{ name: "a", includeLocalhost: false, extraSans: ["10.1.2.3", "extra.example", "fd00::1"] }] }).services;
    expect(svc.dnsNames).toEqual(["a", "extra.example"]);
    expect(svc.ipAddresses).toEqual(["10.1.2.3", "fd00::1"]);
  });

  it("removes duplicates across hostnames, localhost and extraSans, keeping first-seen order", () => {
    const [svc] = parseNodeConfig({ services: [{ name: "a", hostnames: ["h1", "h2"], extraSans: ["h1", "localhost", "127.0.0.1", "10.0.0.1", "10.0.0.1", "h3"] }] }).services;
    expect(svc.dnsNames).toEqual(["h1", "h2", "localhost", "h3"]);
    expect(svc.ipAddresses).toEqual(["127.0.0.1", "10.0.0.1"]);
  });

  it("takes key type, lifetime and owner from the service, else from serviceDefaults (owner fields merged)", () => {
    const config = parseNodeConfig({
      pki: { serviceDefaults: { keyType: "rsa-3072", lifetimeDays: 30, owner: { uid: 1000, gid: 1000 } } },
      services: [{ name: "a" }, { name: "b", keyType: "ec-p384", lifetimeDays: 7, owner: { gid: 2000 } }],
    });
    expect(config.services[0]).toMatchObject({ keyType: "rsa-3072", lifetimeDays: 30, owner: { uid: 1000, gid: 1000 } });
    expect(config.services[1]).toMatchObject({ keyType: "ec-p384", lifetimeDays: 7, owner: { uid: 1000, gid: 2000 } });
  });

  it("accepts an imported CA with an absolute importDir", () => {
    const config = parseNodeConfig({ pki: { ca: { source: "import", importDir: "/etc/edge/ca" } }, services: [{ name: "a" }] });
    expect(config.ca).toMatchObject({ source: "import", importDir: "/etc/edge/ca" });
  });

  it("accepts names that are safe folder names at the 63-character limit", () => {
    const name = "a".repeat(63);
    expect(parseNodeConfig({ services: [{ name }] }).services[0].name).toBe(name);
  });
});

describe("parseNodeConfig errors: one line naming the key", () => {
  it("duplicate service names", () => {
    const rest = expectKeyError({ services: [{ name: "a" }, { name: "a" }] }, "edge-security:services[1].name");
    expect(rest).toBe('duplicate service name "a"');
    expect(configError({ services: [{ name: "a" }, { name: "b" }, { name: "b" }] }).message).toBe('edge-security:services[2].name: duplicate service name "b"');
  });

  it.each(["..", "a/b", "", ".hidden", "../etc", "a b", "a".repeat(64)])("unsafe service name %j", (name) => {
    const rest = expectKeyError({ services: [{ name: "ok" }, { name }] }, "edge-security:services[1].name");
    expect(rest).toContain(`"${name}" is not a safe folder name`);
  });

  it("a safe name that is not a DNS name needs hostnames", () => {
    const rest = expectKeyError({ services: [{ name: "a_b" }] }, "edge-security:services[0].hostnames");
    expect(rest).toContain('"a_b"');
    expect(parseNodeConfig({ services: [{ name: "a_b", hostnames: ["a-b"] }] }).services[0].dnsNames).toContain("a-b");
  });

  it.each(["bad_host", "-lead", "trail-", "a..b", "x".repeat(64), "*.wild.example", "has space"])("invalid DNS name %j in hostnames", (host) => {
    const rest = expectKeyError({ services: [{ name: "a", hostnames: ["fine", host] }] }, "edge-security:services[0].hostnames[1]");
    expect(rest).toBe(`"${host}" is not a valid DNS name`);
  });

  it.each(["x..y", "not_a_host", "10.0.0.256/24", "::gg"])("invalid SAN %j in extraSans", (san) => {
    const rest = expectKeyError({ services: [{ name: "a" }, { name: "b", extraSans: ["10.0.0.1", san] }] }, "edge-security:services[1].extraSans[1]");
    expect(rest).toBe(`"${san}" is not a valid DNS name or IP address`);
  });

  it("unknown keyType on a service, on the CA and in serviceDefaults", () => {
    expect(expectKeyError({ services: [{ name: "a", keyType: "dsa-1024" }] }, "edge-security:services[0].keyType")).toBe("must be one of ec-p256, ec-p384, rsa-3072");
    expectKeyError({ pki: { ca: { keyType: "ed25519" } }, services: [{ name: "a" }] }, "edge-security:pki.ca.keyType");
    expectKeyError({ pki: { serviceDefaults: { keyType: "rsa-1024" } }, services: [{ name: "a" }] }, "edge-security:pki.serviceDefaults.keyType");
  });

  it.each([-1, 0])("lifetimeDays %d", (days) => {
    expect(expectKeyError({ services: [{ name: "a", lifetimeDays: days }] }, "edge-security:services[0].lifetimeDays")).toBe("must be a positive number of days");
    expectKeyError({ pki: { ca: { lifetimeDays: days } }, services: [{ name: "a" }] }, "edge-security:pki.ca.lifetimeDays");
    expectKeyError({ pki: { serviceDefaults: { lifetimeDays: days } }, services: [{ name: "a" }] }, "edge-security:pki.serviceDefaults.lifetimeDays");
  });

  it("fractional and non-numeric lifetimeDays", () => {
    expect(expectKeyError({ services: [{ name: "a", lifetimeDays: 1.5 }] }, "edge-security:services[0].lifetimeDays")).toBe("must be a whole number of days");
    expect(expectKeyError({ services: [{ name: "a", lifetimeDays: "30" }] }, "edge-security:services[0].lifetimeDays")).toBe("must be a number of days");
  });

  it("relative secretsRoot", () => {
    expect(expectKeyError({ secretsRoot: "run/secrets", services: [{ name: "a" }] }, "edge-security:secretsRoot")).toBe('"run/secrets" must be an absolute path');
  });

  it("relative importDir", () => {
    expectKeyError({ pki: { ca: { source: "import", importDir: "ca" } }, services: [{ name: "a" }] }, "edge-security:pki.ca.importDir");
  });

  it("import source without importDir", () => {
    expect(expectKeyError({ pki: { ca: { source: "import" } }, services: [{ name: "a" }] }, "edge-security:pki.ca.importDir")).toBe('is required when pki.ca.source is "import"');
  });

  it("unknown CA source", () => {
    expect(expectKeyError({ pki: { ca: { source: "acme" } }, services: [{ name: "a" }] }, "edge-security:pki.ca.source")).toBe('must be "self-signed", "import" or "org"');
  });

  it("empty and missing services", () => {
    expect(expectKeyError({ services: [] }, "edge-security:services")).toBe("must list at least one service");
    expect(expectKeyError({}, "edge-security:services")).toBe("is required");
    expect(expectKeyError({ services: undefined }, "edge-security:services")).toBe("is required");
  });

  it("negative owner ids", () => {
    expect(expectKeyError({ services: [{ name: "a", owner: { uid: -1 } }] }, "edge-security:services[0].owner.uid")).toBe("must be a non-negative integer");
    expectKeyError({ pki: { serviceDefaults: { owner: { gid: -5 } } }, services: [{ name: "a" }] }, "edge-security:pki.serviceDefaults.owner.gid");
  });

  it("unknown keys are rejected (strict) at every level, and the message names the key", () => {
    expect(expectKeyError({ services: [{ name: "a" }], bogus: 1 }, "edge-security:bogus")).toBe("is not a known setting");
    expect(expectKeyError({ services: [{ name: "a", hostname: ["x"] }] }, "edge-security:services[0].hostname")).toBe("is not a known setting");
    expect(expectKeyError({ pki: { ca: { commonname: "x" } }, services: [{ name: "a" }] }, "edge-security:pki.ca.commonname")).toBe("is not a known setting");
    expect(expectKeyError({ pki: { defaults: {} }, services: [{ name: "a" }] }, "edge-security:pki.defaults")).toBe("is not a known setting");
    expect(expectKeyError({ pki: { serviceDefaults: { owner: { user: "x" } } }, services: [{ name: "a" }] }, "edge-security:pki.serviceDefaults.owner.user")).toBe("is not a known setting");
  });

  it("reports only the first problem when there are several", () => {
    const { message } = configError({ secretsRoot: "rel", services: [{ name: ".x", lifetimeDays: 0 }] });
    expect(message.split("\n")).toHaveLength(1);
    expect(message).toMatch(/^edge-security:(secretsRoot|services\[0\]\.(name|lifetimeDays)): /);
  });

  // A service with no name at all would get an empty subjectAltName, which RFC 5280 forbids (GeneralNames is
  // SIZE (1..MAX)) and which no TLS client can match.
  it("a service with no DNS name and no IP address is rejected", () => {
    expectKeyError({ services: [{ name: "a", hostnames: [], includeLocalhost: false }] }, "edge-security:services[0].hostnames");
  });

  // The offending value is quoted as JSON, so a value holding a newline keeps the message on one line.
  it("a service name with a newline still gives a one-line message", () => {
    expectKeyError({ services: [{ name: "a\nb" }] }, "edge-security:services[0].name");
  });
});

describe("host safety: the secrets root is a folder of the stack's own", () => {
  it.each(["/", "/etc", "/etc/", "/usr", "/var", "/var/lib", "/run", "/home", "/root", "/tmp", "//etc//", "/usr/local/../local"])("refuses %s in one line", (root) => {
    const rest = expectKeyError({ secretsRoot: root, services: [{ name: "a" }] }, "edge-security:secretsRoot");
    expect(rest).toMatch(/is a system folder: give a folder of the stack's own/);
  });

  it.each(["/proc/self", "/sys/x", "/dev/shm/secrets", "/boot/x"])("refuses %s, inside a system tree", (root) => {
    expect(expectKeyError({ secretsRoot: root, services: [{ name: "a" }] }, "edge-security:secretsRoot")).toMatch(/a system tree/);
  });

  it.each(["/run/edge-security/secrets", "/etc/edge-security", "/var/lib/edge/secrets", "/tmp/edge-it-x/run/secrets"])("accepts %s", (root) => {
    expect(parseNodeConfig({ secretsRoot: root, services: [{ name: "a" }] }).secretsRoot).toBe(root);
  });
});

describe("service names are compared without case (they are DNS names)", () => {
  it("refuses two services whose names differ only in case, naming both", () => {
    const rest = expectKeyError({ services: [{ name: "core-data" }, { name: "x" }, { name: "Core-Data" }] }, "edge-security:services[2].name");
    expect(rest).toBe('"Core-Data" differs from service "core-data" only in case: they would get certificates for the same DNS name');
  });

  it("still calls an exact repeat a duplicate", () => {
    expect(expectKeyError({ services: [{ name: "a" }, { name: "a" }] }, "edge-security:services[1].name")).toBe('duplicate service name "a"');
  });
});

// The first test imports program.ts cold (every concern), which takes seconds on a loaded 2-core machine.
describe("loadNodeConfig (program.ts)", { timeout: 60_000 }, () => {
  /** A stand-in for pulumi.Config over plain values, as the program reads them. */
  const fakeConfig = (values: Record<string, unknown>) =>
    ({
      get: (key: string) => values[key] as string | undefined,
      getObject: (key: string) => values[key],
    }) as unknown as import("@pulumi/pulumi").Config;

  it("returns the parsed config, and no imported CA for a self-signed one", async () => {
    const { loadNodeConfig } = await import("../program");
    const loaded = loadNodeConfig(fakeConfig({ secretsRoot: "/srv/s", services: [{ name: "a" }] }));
    expect(loaded.nodeConfig.secretsRoot).toBe("/srv/s");
    expect(loaded.nodeConfig.services.map((s) => s.name)).toEqual(["a"]);
    expect(loaded.importedCa).toBeUndefined();
  });

  it("reads the rotation section (docs/rotation.md)", async () => {
    const { loadNodeConfig } = await import("../program");
    const loaded = loadNodeConfig(fakeConfig({ services: [{ name: "a" }], rotation: { certificates: 2, services: { a: { certificate: 1 } } } }));
    expect(loaded.nodeConfig.services[0].rotation).toEqual({ certificate: 3, token: 0, password: 0 });
  });

  it("turns a CA import problem into one ConfigError line under pki.ca.importDir, naming the path", async () => {
    const { loadNodeConfig } = await import("../program");
    const dir = "/nonexistent/edge-security-unit-ca";
    let caught: unknown;
    try {
      loadNodeConfig(fakeConfig({ pki: { ca: { source: "import", importDir: dir } }, services: [{ name: "a" }] }));
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as Error).message).toBe(`edge-security:pki.ca.importDir: ${dir}: CA import directory does not exist`);
  });

  it("reports a config mistake before looking at the import directory", async () => {
    const { loadNodeConfig } = await import("../program");
    expect(() => loadNodeConfig(fakeConfig({ pki: { ca: { source: "import", importDir: "/x" } }, services: [] }))).toThrow("edge-security:services: must list at least one service");
  });
});
