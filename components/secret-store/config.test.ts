// The secretStore section, the custody secret checks, custody encryption and the root-token decoding.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CustodyError, decryptCustody, encryptCustody, keepCustodyAside, readCustody, writeCustody } from "./custody";
import { EdgeError } from "../shared/errors";
import { decodeRootToken } from "./client";
import { ConfigError, parseNodeConfig } from "../node-config";
import { custodySecretProblem, defaultDbUsername } from "./config";

const services = [{ name: "secretstore" }, { name: "kong" }, { name: "core-data" }];

function errorOf(secretStore: Record<string, unknown>, list: unknown[] = services): string {
  try {
    parseNodeConfig({ services: list, secretStore });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).not.toMatch(/\n/);
    return (err as Error).message;
  }
  throw new Error("expected a ConfigError");
}

describe("secretStore config", () => {
  it("is absent unless configured, and has node defaults when it is", () => {
    expect(parseNodeConfig({ services }).secretStore).toBeUndefined();
    expect(parseNodeConfig({ services, secretStore: {} }).secretStore).toEqual({
      address: "https://127.0.0.1:8200",
      service: "secretstore",
      shares: 5,
      threshold: 3,
      custodyDir: "/var/lib/edge-security/custody",
      kvMount: "secret",
      pathPrefix: "edgex",
      tokenPeriod: "24h",
      gatewayService: "kong",
      dbUsernames: {},
      connectTimeoutSeconds: 60,
      reinitialize: false,
    });
    expect(parseNodeConfig({ services: [{ name: "secretstore" }, { name: "a" }], secretStore: {} }).secretStore!.gatewayService).toBeUndefined();
  });

  it("names the key and the problem in one line", () => {
    expect(errorOf({ threshold: 6 })).toBe("edge-security:secretStore.threshold: must not exceed secretStore.shares (5)");
    expect(errorOf({ shares: 3, threshold: 1 })).toMatch(/^edge-security:secretStore\.threshold: must be at least 2 when there are several shares/);
    expect(errorOf({ shares: 0 })).toBe("edge-security:secretStore.shares: must be at least 1");
    expect(errorOf({ address: "http://127.0.0.1:8200" })).toMatch(/^edge-security:secretStore\.address: "http:\/\/127\.0\.0\.1:8200" must be an https:\/\/ address/);
    expect(errorOf({ address: "https://127.0.0.1:8200/v1" })).toMatch(/^edge-security:secretStore\.address: /);
    expect(errorOf({ service: "vault" })).toBe('edge-security:secretStore.service: "vault" is not in services (the store\'s TLS certificate is that service\'s)');
    expect(errorOf({ gatewayService: "nginx" })).toBe('edge-security:secretStore.gatewayService: "nginx" is not in services');
    expect(errorOf({ gatewayService: "secretstore" })).toBe("edge-security:secretStore.gatewayService: must not be the secret store's own service");
    expect(errorOf({ dbUsernames: { "core-data": "bad name" } })).toMatch(/^edge-security:secretStore\.dbUsernames\.core-data: must be letters, digits and '_'/);
    expect(errorOf({ dbUsernames: { ghost: "x" } })).toBe("edge-security:secretStore.dbUsernames.ghost: is not in services");
    expect(errorOf({ tokenPeriod: "1d" })).toMatch(/^edge-security:secretStore\.tokenPeriod: must be a duration/);
    expect(errorOf({ custodyDir: "relative" })).toMatch(/^edge-security:secretStore\.custodyDir: "relative" must be an absolute path/);
    expect(errorOf({ kvMount: "a/b" })).toMatch(/^edge-security:secretStore\.kvMount: /);
    expect(errorOf({ unknown: 1 })).toBe("edge-security:secretStore.unknown: is not a known setting");
  });

  it("derives database usernames from service names", () => {
    expect(defaultDbUsername("core-data")).toBe("core_data");
    expect(defaultDbUsername("Kong")).toBe("kong");
    expect(defaultDbUsername("9svc.x")).toBe("_9svc_x");
  });

  it("requires the custody secret, as a secret, long enough", () => {
    expect(custodySecretProblem(undefined, false)).toMatch(/^is required when secretStore is configured/);
    expect(custodySecretProblem("x".repeat(40), false)).toMatch(/^must be a secret value; set it with: npm run pulumi -- config set --secret/);
    expect(custodySecretProblem("short", true)).toMatch(/^must be at least 32 characters/);
    expect(custodySecretProblem("x".repeat(32), true)).toBeUndefined();
  });
});

describe("custody file", () => {
  const dir = mkdtempSync(join(tmpdir(), "custody-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const record = { address: "https://127.0.0.1:8200", initializedAt: "2026-11-23T00:00:00Z", shares: 2, threshold: 2, keys: ["aa11", "bb22"], rootToken: "s.root" };
  const secret = "0123456789abcdef0123456789abcdef";

  it("round-trips, with nothing readable in the file and a fresh salt and IV each time", () => {
    const a = encryptCustody(secret, record);
    const b = encryptCustody(secret, record);
    expect(a).not.toBe(b);
    for (const plain of ["aa11", "bb22", "s.root"]) expect(a).not.toContain(plain);
    expect(decryptCustody(secret, a)).toEqual(record);
  });

  it("refuses a wrong secret, a tampered file and a file that is not custody, naming the file", () => {
    const content = encryptCustody(secret, record);
    expect(() => decryptCustody("another-secret-another-secret-xx", content, "/x/f")).toThrow("/x/f cannot be decrypted with this stack's custody secret (wrong secret, or the file is damaged)");
    const envelope = JSON.parse(content);
    envelope.ciphertext = Buffer.from(Buffer.from(envelope.ciphertext, "base64").map((b, i) => (i === 0 ? b ^ 1 : b))).toString("base64");
    expect(() => decryptCustody(secret, JSON.stringify(envelope), "/x/f")).toThrow(/cannot be decrypted/);
    expect(() => decryptCustody(secret, "{}", "/x/f")).toThrow("/x/f is not a custody file of format edge-security-custody/1");
    expect(() => decryptCustody(secret, "nope", "/x/f")).toThrow("/x/f is not a custody file (not JSON)");
  });

  it("is written 0600 in a 0700 folder; a missing file reads as undefined", async () => {
    const file = join(dir, "keys", "stack.custody");
    expect(readCustody(file, secret)).toBeUndefined();
    await writeCustody(file, secret, record);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, "keys")).mode & 0o777).toBe(0o700);
    expect(readCustody(file, secret)).toEqual(record);
    expect(readFileSync(file, "utf8")).toContain("edge-security-custody/1");
  });
});

describe("custody backups", () => {
  const secret = "0123456789abcdef0123456789abcdef";
  const record = { address: "https://127.0.0.1:8200", initializedAt: "2026-01-01T00:00:00.000Z", shares: 1, threshold: 1, keys: ["aa11"] };

  it("keeps an existing file aside under a dated name, never over another backup, and leaves the original path free", async () => {
    const dir = mkdtempSync(join(tmpdir(), "edge-unit-aside-"));
    try {
      const file = join(dir, "s.secret-store.custody");
      expect(keepCustodyAside(file, "superseded")).toBeUndefined();
      await writeCustody(file, secret, record);
      const first = keepCustodyAside(file, "superseded")!;
      expect(first).toMatch(/\/s\.secret-store\.custody\.superseded-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z(-\d+)?$/);
      expect(readCustody(file, secret)).toBeUndefined();
      expect(readCustody(first, secret)).toEqual(record);
      // Two backups in the same millisecond still get two names.
      writeFileSync(file, "one");
      const a = keepCustodyAside(file, "damaged")!;
      writeFileSync(file, "two");
      const b = keepCustodyAside(file, "damaged")!;
      expect(a).not.toBe(b);
      expect([readFileSync(a, "utf8"), readFileSync(b, "utf8")].sort()).toEqual(["one", "two"]);
      expect(readdirSync(dir)).toHaveLength(3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a custody error is an EdgeError: one line, no stack trace", () => {
    let err: unknown;
    try {
      decryptCustody(secret, "nope", "/x/f");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CustodyError);
    expect(err).toBeInstanceOf(EdgeError);
    // What the dynamic-provider host prints for a failed diff or read.
    expect(`${err}: ${(err as Error).stack}`).toBe("CustodyError: /x/f is not a custody file (not JSON): ");
  });

  it("secretStore.reinitialize is off unless set, and must be a boolean", () => {
    expect(parseNodeConfig({ services, secretStore: {} }).secretStore!.reinitialize).toBe(false);
    expect(parseNodeConfig({ services, secretStore: { reinitialize: true } }).secretStore!.reinitialize).toBe(true);
    expect(errorOf({ reinitialize: "yes" })).toBe("edge-security:secretStore.reinitialize: Expected boolean, received string");
  });

  it("refuses a system folder as custodyDir (its mode would be set to 0700)", () => {
    expect(errorOf({ custodyDir: "/var/lib" })).toMatch(/^edge-security:secretStore\.custodyDir: "\/var\/lib" is a system folder: /);
    expect(errorOf({ custodyDir: "/" })).toMatch(/^edge-security:secretStore\.custodyDir: "\/" is a system folder: /);
    expect(parseNodeConfig({ services, secretStore: { custodyDir: "/var/lib/edge-security/custody" } }).secretStore!.custodyDir).toBe("/var/lib/edge-security/custody");
  });
});

describe("secret store client helpers", () => {
  it("decodes a generate-root token: base64(token XOR otp)", () => {
    const token = "s.AbCdEfGhIjKlMnOpQrStUvWx";
    const otp = "0123456789abcdefghijklmnopq".slice(0, token.length);
    const encoded = Buffer.from(Buffer.from(token).map((b, i) => b ^ otp.charCodeAt(i))).toString("base64").replace(/=+$/, "");
    expect(decodeRootToken(encoded, otp)).toBe(token);
    expect(() => decodeRootToken(encoded, otp.slice(1))).toThrow(/could not be decoded/);
  });
});
