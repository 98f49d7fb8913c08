// The dynamic providers' CRUD methods, called directly on real temp folders.
//
// The provider objects are not exported. Each one is taken the way the Pulumi dynamic-provider host gets it:
// the resource is registered against Pulumi mocks, its serialized `__provider` input is captured and compiled
// as a CommonJS module, and `handler()` returns the provider. The providers `require("@edge-security/clients/...")`
// (TypeScript) at run time, so tsx's require hook is registered for the duration of this file, as the real
// host has it (components/shared/provider-host/typescript.js).
import { execFileSync } from "node:child_process";
import { createHash, X509Certificate } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import Module from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadProvider, serializedProviderMocks } from "../../test/fixtures/provider-code";
import { createSelfSignedCa, keyMatchesCertificate } from "./client";
import { bundleOfCaAlone } from "./service-certificate";
import { publicKeyFingerprint } from "./service-dir";
import { digestOf } from "../shared/dynamic-resource";

// tsx's CommonJS API (its types are ESM-only under this tsconfig's "node" module resolution).
const { register } = Module.createRequire(__filename)("tsx/cjs/api") as { register(): () => void };
type Provider = Required<pulumi.dynamic.ResourceProvider>;
const modeOf = (path: string) => statSync(path).mode & 0o777;
/** What the state keeps of outputs: JSON, so undefined values are gone. */
const stored = <T>(value: T): T => JSON.parse(JSON.stringify(value));

/** Compiles a serialized provider the way @pulumi/pulumi's dynamic-provider host does (require-from-string). */
const loadSerializedProvider = (code: string) => loadProvider(code) as Provider;

const providers = {} as { PlainFile: Provider; CertificateAuthority: Provider; ServiceCertificate: Provider };
let unregisterTsx: () => void;
let tmp: string;

beforeAll(async () => {
  unregisterTsx = register();
  tmp = mkdtempSync(join(tmpdir(), "edge-unit-providers-"));
  const serialized = await serializedProviderMocks("unit");
  const { PlainFile } = await import("../shared/plain-file");
  const { CertificateAuthority } = await import("./certificate-authority");
  const { ServiceCertificate } = await import("./service-certificate");
  new PlainFile("file", { path: "/nowhere/file", content: "x" });
  new CertificateAuthority("ca", { source: "self-signed", commonName: "CA", keyType: "ec-p256", lifetimeDays: 1 });
  new ServiceCertificate("svc", { service: "svc", dir: "/nowhere/svc", dnsNames: [], ipAddresses: [], keyType: "ec-p256", lifetimeDays: 1, caCertPem: "", caKeyPem: "", trustBundlePem: "" });
  await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
  for (const name of ["PlainFile", "CertificateAuthority", "ServiceCertificate"] as const) {
    const code = serialized[`pulumi-nodejs:dynamic/edge-security:${name}`];
    expect(code, `serialized provider of ${name}`).toMatch(/^exports\.handler = /);
    providers[name] = loadSerializedProvider(code);
  }
}, 60_000);

afterAll(() => {
  unregisterTsx?.();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe("PlainFile provider", () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmp, "plain-"));
  });

  it("has create, read, diff and delete", () => {
    expect(Object.keys(providers.PlainFile).sort()).toEqual(["create", "delete", "diff", "read"]);
  });

  it("create writes the file atomically, 0644 in a 0700 folder by default, and reports it intact", async () => {
    const path = join(root, "svc", "ready");
    const result = await providers.PlainFile.create({ path, content: "hello\n" });
    expect(result).toEqual({ id: path, outs: { path, content: "hello\n", onDisk: "intact" } });
    expect(readFileSync(path, "utf8")).toBe("hello\n");
    expect(modeOf(path)).toBe(0o644);
    expect(modeOf(join(root, "svc"))).toBe(0o700);
    expect(readdirSync(join(root, "svc"))).toEqual(["ready"]);
  });

  it("create honours mode and dirMode", async () => {
    const path = join(root, "shared", "ca.pem");
    await providers.PlainFile.create({ path, content: "ca", mode: 0o600, dirMode: 0o755 });
    expect(modeOf(path)).toBe(0o600);
    expect(modeOf(join(root, "shared"))).toBe(0o755);
  });

  it("read reports intact, changed and missing", async () => {
    const path = join(root, "f");
    const { outs } = await providers.PlainFile.create({ path, content: "v1" });
    expect((await providers.PlainFile.read(path, stored(outs))).props.onDisk).toBe("intact");
    writeFileSync(path, "edited");
    expect(await providers.PlainFile.read(path, stored(outs))).toEqual({ id: path, props: { ...outs, onDisk: "changed" } });
    rmSync(path);
    expect((await providers.PlainFile.read(path, stored(outs))).props.onDisk).toBe("missing");
  });

  it("diff: nothing to do when inputs and file are unchanged", async () => {
    const path = join(root, "f");
    const { outs } = await providers.PlainFile.create({ path, content: "v1", mode: 0o600 });
    expect(await providers.PlainFile.diff(path, stored(outs), { path, content: "v1", mode: 0o600 })).toEqual({ changes: false, replaces: [], deleteBeforeReplace: true });
  });

  it("diff: any input change replaces, deleting first when the path stays", async () => {
    const path = join(root, "f");
    const { outs } = await providers.PlainFile.create({ path, content: "v1" });
    const olds = stored(outs);
    expect(await providers.PlainFile.diff(path, olds, { path, content: "v2" })).toEqual({ changes: true, replaces: ["content"], deleteBeforeReplace: true });
    expect((await providers.PlainFile.diff(path, olds, { path, content: "v1", mode: 0o600 })).replaces).toEqual(["mode"]);
    expect((await providers.PlainFile.diff(path, olds, { path, content: "v1", dirMode: 0o755 })).replaces).toEqual(["dirMode"]);
    expect((await providers.PlainFile.diff(path, olds, { path, content: "v1", uid: 1, gid: 2 })).replaces).toEqual(["uid", "gid"]);
    const moved = await providers.PlainFile.diff(path, olds, { path: join(root, "g"), content: "v1" });
    expect(moved).toEqual({ changes: true, replaces: ["path"], deleteBeforeReplace: false });
  });

  it("diff: a file altered or removed on disk is written again", async () => {
    const path = join(root, "f");
    const { outs } = await providers.PlainFile.create({ path, content: "v1" });
    writeFileSync(path, "tampered");
    expect(await providers.PlainFile.diff(path, stored(outs), { path, content: "v1" })).toMatchObject({ changes: true, replaces: ["onDisk"] });
    rmSync(path);
    expect(await providers.PlainFile.diff(path, stored(outs), { path, content: "v1" })).toMatchObject({ changes: true, replaces: ["onDisk"] });
  });

  it("delete removes the file it wrote, and leaves a newer content at the same path", async () => {
    const path = join(root, "f");
    const { outs } = await providers.PlainFile.create({ path, content: "v1" });
    await providers.PlainFile.delete(path, stored(outs));
    expect(existsSync(path)).toBe(false);
    await expect(providers.PlainFile.delete(path, stored(outs))).resolves.toBeUndefined();

    await providers.PlainFile.create({ path, content: "v1" });
    writeFileSync(path, "v2 from a newer resource");
    await providers.PlainFile.delete(path, stored(outs));
    expect(readFileSync(path, "utf8")).toBe("v2 from a newer resource");
  });
});

describe("CertificateAuthority provider", { timeout: 60_000 }, () => {
  it("check: an imported CA needs its certificate and key; a self-signed one needs neither", async () => {
    const { failures } = await providers.CertificateAuthority.check({}, { source: "import", commonName: "x", keyType: "ec-p384", lifetimeDays: 1 });
    expect((failures ?? []).map((f: { property: string }) => f.property)).toEqual(["importedCertPem", "importedKeyPem"]);
    const onlyKey = await providers.CertificateAuthority.check({}, { source: "import", importedKeyPem: "k" });
    expect((onlyKey.failures ?? []).map((f: { property: string }) => f.property)).toEqual(["importedCertPem"]);
    const selfSigned = { source: "self-signed", commonName: "x", keyType: "ec-p384", lifetimeDays: 1 };
    expect(await providers.CertificateAuthority.check({}, selfSigned)).toEqual({ inputs: selfSigned, failures: [] });
  });

  it("create self-signed: a CA certificate with its key, a trust bundle of the CA alone, and facts", async () => {
    const inputs = { source: "self-signed", commonName: "Unit CA", keyType: "ec-p384", lifetimeDays: 10 };
    const { id, outs } = await providers.CertificateAuthority.create(inputs);
    const cert = new X509Certificate(outs.certPem);
    expect(cert.ca).toBe(true);
    expect(cert.subject).toBe("CN=Unit CA");
    expect(keyMatchesCertificate(outs.keyPem, outs.certPem)).toBe(true);
    expect(outs.trustBundlePem).toBe(outs.certPem.trim() + "\n");
    expect(id).toBe(createHash("sha256").update(cert.raw).digest("hex"));
    expect(outs.fingerprint).toBe(id);
    expect(outs.serialNumber).toBe(cert.serialNumber.toLowerCase());
    expect(outs.notAfter).toBe(new Date(cert.validTo).toISOString());
    expect(outs).toMatchObject(inputs);
    expect(outs).not.toHaveProperty("importedKeyPem");
  });

  it("create import: uses the imported certificate and key, bundles the chain, and drops the imported key input", async () => {
    const ca = await createSelfSignedCa({ commonName: "Imported", keyType: "ec-p256", lifetimeDays: 10 });
    const parent = await createSelfSignedCa({ commonName: "Parent", keyType: "ec-p256", lifetimeDays: 10 });
    const inputs = { source: "import", commonName: "ignored", keyType: "ec-p384", lifetimeDays: 10, importedCertPem: ca.certPem, importedKeyPem: ca.keyPem, importedChainPem: parent.certPem };
    const { id, outs } = await providers.CertificateAuthority.create(inputs);
    expect(outs.certPem).toBe(ca.certPem);
    expect(outs.keyPem).toBe(ca.keyPem);
    expect(outs.trustBundlePem).toBe(`${ca.certPem.trim()}\n${parent.certPem.trim()}\n`);
    expect(id).toBe(createHash("sha256").update(new X509Certificate(ca.certPem).raw).digest("hex"));
    expect(outs).not.toHaveProperty("importedKeyPem");
    expect(outs.importedCertPem).toBe(ca.certPem);
    // a root without chain: the bundle is the CA alone
    const { outs: root } = await providers.CertificateAuthority.create({ ...inputs, importedChainPem: "" });
    expect(root.trustBundlePem).toBe(ca.certPem.trim() + "\n");
  });

  it("diff: any identifying input replaces the CA; nothing else does", async () => {
    const olds = { source: "self-signed", commonName: "CA", keyType: "ec-p384", lifetimeDays: 3650, certPem: "C", keyPem: "K" };
    const news = { source: "self-signed", commonName: "CA", keyType: "ec-p384", lifetimeDays: 3650 };
    expect(await providers.CertificateAuthority.diff("id", olds, news)).toEqual({ changes: false, replaces: [] });
    for (const [key, value] of [["source", "import"], ["commonName", "Other"], ["keyType", "rsa-3072"], ["lifetimeDays", 365], ["importedCertPem", "X"], ["importedChainPem", "Y"]] as const) {
      expect(await providers.CertificateAuthority.diff("id", olds, { ...news, [key]: value }), key).toEqual({ changes: true, replaces: [key] });
    }
    // the imported key is not in the outputs; a change of key alone cannot happen without a new certificate
    expect((await providers.CertificateAuthority.diff("id", olds, { ...news, importedKeyPem: "K2" })).changes).toBe(false);
  });
});

describe("ServiceCertificate provider", { timeout: 60_000 }, () => {
  let ca: { certPem: string; keyPem: string };
  let root: string;
  const inputsFor = (dir: string, extra: Record<string, unknown> = {}) => ({
    service: "svc-a",
    dir,
    dnsNames: ["svc-a", "localhost"],
    ipAddresses: ["127.0.0.1"],
    keyType: "ec-p256",
    lifetimeDays: 30,
    caCertPem: ca.certPem,
    caKeyPem: ca.keyPem,
    trustBundlePem: ca.certPem,
    ...extra,
  });

  beforeAll(async () => {
    ca = await createSelfSignedCa({ commonName: "Service CA", keyType: "ec-p384", lifetimeDays: 30 });
  });
  beforeEach(() => {
    root = mkdtempSync(join(tmp, "svc-"));
  });

  it("create issues a key and certificate into the folder (0700, key 0600, cert 0644) and keeps the key out of the outputs", async () => {
    const dir = join(root, "secrets", "svc-a");
    const { id, outs } = await providers.ServiceCertificate.create(inputsFor(dir));
    expect(readdirSync(dir).sort()).toEqual(["ca.pem", "cert.pem", "key.pem"]);
    expect(modeOf(dir)).toBe(0o700);
    expect(modeOf(join(dir, "key.pem"))).toBe(0o600);
    expect(modeOf(join(dir, "cert.pem"))).toBe(0o644);
    expect(modeOf(join(dir, "ca.pem"))).toBe(0o644);
    expect(modeOf(join(root, "secrets"))).toBe(0o755);

    const certPem = readFileSync(join(dir, "cert.pem"), "utf8");
    const keyPem = readFileSync(join(dir, "key.pem"), "utf8");
    expect(outs.certPem).toBe(certPem);
    expect(readFileSync(join(dir, "ca.pem"), "utf8")).toBe(ca.certPem);
    expect(keyMatchesCertificate(keyPem, certPem)).toBe(true);
    expect(outs.keyFingerprint).toBe(publicKeyFingerprint(keyPem));
    expect(id).toBe(`svc-a:${outs.serialNumber}`);
    expect(outs).toMatchObject({ service: "svc-a", dir, certPath: join(dir, "cert.pem"), keyPath: join(dir, "key.pem"), caCertPath: join(dir, "ca.pem"), files: "intact" });
    // no private key material in the outputs: neither the CA key nor the service key
    expect(outs).not.toHaveProperty("caKeyPem");
    const text = JSON.stringify(outs);
    expect(text).not.toContain("PRIVATE KEY");
    expect(text).not.toContain(keyPem.split("\n")[1]);

    const cert = new X509Certificate(certPem);
    expect(cert.subject).toBe("CN=svc-a");
    expect(cert.subjectAltName).toBe("DNS:svc-a, DNS:localhost, IP Address:127.0.0.1");
    expect(execFileSync("openssl", ["verify", "-CAfile", join(dir, "ca.pem"), join(dir, "cert.pem")], { encoding: "utf8" })).toContain(": OK");
  });

  it("read reports the folder: intact, missing after a wipe, changed after an edit", async () => {
    const dir = join(root, "svc-a");
    const { id, outs } = await providers.ServiceCertificate.create(inputsFor(dir));
    const olds = stored(outs);
    expect(await providers.ServiceCertificate.read(id, olds)).toEqual({ id, props: { ...olds, files: "intact" } });
    writeFileSync(join(dir, "ca.pem"), "edited");
    expect((await providers.ServiceCertificate.read(id, olds)).props.files).toBe("changed");
    rmSync(dir, { recursive: true });
    expect((await providers.ServiceCertificate.read(id, olds)).props.files).toBe("missing");
  });

  it("diff: no change for the same inputs and an intact folder, always delete-before-replace", async () => {
    const dir = join(root, "svc-a");
    const inputs = inputsFor(dir);
    const { id, outs } = await providers.ServiceCertificate.create(inputs);
    expect(await providers.ServiceCertificate.diff(id, stored(outs), inputs)).toEqual({ changes: false, replaces: [], deleteBeforeReplace: true });
    // uid/gid unset in both (undefined in the inputs, absent from the stored outputs)
    expect((await providers.ServiceCertificate.diff(id, stored(outs), { ...inputs, uid: undefined })).changes).toBe(false);
  });

  it("diff: every input that shapes the certificate or its place replaces it", async () => {
    const dir = join(root, "svc-a");
    const inputs = inputsFor(dir);
    const { id, outs } = await providers.ServiceCertificate.create(inputs);
    const olds = stored(outs);
    const cases: [string, unknown][] = [
      ["service", "svc-b"],
      ["dir", join(root, "elsewhere")],
      ["dnsNames", ["svc-a"]],
      ["ipAddresses", ["127.0.0.1", "10.0.0.1"]],
      ["keyType", "rsa-3072"],
      ["lifetimeDays", 31],
      ["uid", 1000],
      ["gid", 1000],
      ["caCertPem", "other CA"],
      ["trustBundlePem", "other bundle"],
      ["rotation", 1],
    ];
    for (const [key, value] of cases) {
      expect(await providers.ServiceCertificate.diff(id, olds, { ...inputs, [key]: value }), key).toEqual({ changes: true, replaces: [key], deleteBeforeReplace: true });
    }
    // the CA key is not compared (it is not in the outputs)
    expect((await providers.ServiceCertificate.diff(id, olds, { ...inputs, caKeyPem: "other key" })).changes).toBe(false);
  });

  it("outputs keep the CA certificate and trust bundle as digests only; outputs of 0.2.0 (with the PEMs) compare the same way", async () => {
    const dir = join(root, "svc-a");
    // The bundle as the CA writes it for itself alone (what the program then leaves unset).
    const bundle = bundleOfCaAlone(ca.certPem);
    const inputs = inputsFor(dir, { trustBundlePem: bundle });
    const { id, outs } = await providers.ServiceCertificate.create(inputs);
    expect(outs).not.toHaveProperty("caCertPem");
    expect(outs).not.toHaveProperty("trustBundlePem");
    expect(JSON.stringify(outs)).not.toContain(ca.certPem.split("\n")[1]);
    expect(outs).toMatchObject({ caCertPemSha256: digestOf(ca.certPem), trustBundlePemSha256: digestOf(bundle) });
    // The shape 0.2.0 wrote: the PEMs themselves, no digests. Its thin provider forwards to this code.
    const { caCertPemSha256: _c, trustBundlePemSha256: _t, ...rest } = stored(outs);
    const olderShape = { ...rest, caCertPem: ca.certPem, trustBundlePem: bundle };
    for (const olds of [stored(outs), olderShape]) {
      expect(await providers.ServiceCertificate.diff(id, olds, inputs)).toEqual({ changes: false, replaces: [], deleteBeforeReplace: true });
      // The program leaves the bundle unset when it is the CA certificate alone: the same thing, so no change.
      expect((await providers.ServiceCertificate.diff(id, olds, { ...inputs, trustBundlePem: undefined })).changes).toBe(false);
      expect((await providers.ServiceCertificate.diff(id, olds, { ...inputs, trustBundlePem: `${bundle}other\n` })).replaces).toEqual(["trustBundlePem"]);
      expect((await providers.ServiceCertificate.read(id, olds)).props.files).toBe("intact");
    }
    // Created with the bundle unset, the folder trusts the CA certificate alone.
    const unset = await providers.ServiceCertificate.create({ ...inputs, dir: join(root, "svc-unset"), trustBundlePem: undefined });
    expect(readFileSync(join(root, "svc-unset", "ca.pem"), "utf8")).toBe(bundle);
    expect(unset.outs.trustBundlePemSha256).toBe(digestOf(bundle));
    writeFileSync(join(dir, "ca.pem"), `${ca.certPem}edited\n`);
    for (const olds of [stored(outs), olderShape]) expect((await providers.ServiceCertificate.read(id, olds)).props.files).toBe("changed");
  });

  it("diff: inside the renewal window (default a third of the lifetime) it replaces, naming notAfter and saying so", async () => {
    const dir = join(root, "svc-a");
    const inputs = inputsFor(dir);
    const { id, outs } = await providers.ServiceCertificate.create(inputs);
    const DAY_MS = 24 * 60 * 60 * 1000;
    const soon = { ...stored(outs), notAfter: new Date(Date.now() + 5 * DAY_MS).toISOString() };
    const lines: string[] = [];
    const original = console.error;
    console.error = (line: string) => lines.push(line);
    try {
      // 5 days left of 30: inside the default window (10 days), outside a configured 4-day one, never with 0.
      expect(await providers.ServiceCertificate.diff(id, soon, inputs)).toEqual({ changes: true, replaces: ["notAfter"], deleteBeforeReplace: true });
      expect(lines).toEqual([`svc-a: certificate expires ${soon.notAfter}, inside its renewal window (10 days before expiry): a new key and certificate replace it`]);
      expect((await providers.ServiceCertificate.diff(id, soon, { ...inputs, renewBeforeDays: 4 })).changes).toBe(false);
      expect((await providers.ServiceCertificate.diff(id, soon, { ...inputs, renewBeforeDays: 0 })).changes).toBe(false);
      // Issued to the CA's own expiry (the CA lives 30 days too): a new one could not live longer, so no renewal.
      expect((await providers.ServiceCertificate.diff(id, stored(outs), { ...inputs, renewBeforeDays: 29.9 })).changes).toBe(false);
      expect(lines).toHaveLength(1);
    } finally {
      console.error = original;
    }
  });

  it("check: refuses a renewal window as long as the lifetime and a rotation that is not a whole number", async () => {
    const inputs = inputsFor(join(root, "svc-a"));
    expect((await providers.ServiceCertificate.check(inputs, { ...inputs, renewBeforeDays: 30 })).failures).toEqual([{ property: "renewBeforeDays", reason: "must be 0 or more and less than lifetimeDays" }]);
    expect((await providers.ServiceCertificate.check(inputs, { ...inputs, rotation: 1.5 })).failures).toEqual([{ property: "rotation", reason: "must be a whole number, 0 or more" }]);
    expect((await providers.ServiceCertificate.check(inputs, { ...inputs, renewBeforeDays: 29, rotation: 2 })).failures).toEqual([]);
  });

  it("diff: a wiped or altered folder means a new key and certificate", async () => {
    const dir = join(root, "svc-a");
    const inputs = inputsFor(dir);
    const { id, outs } = await providers.ServiceCertificate.create(inputs);
    writeFileSync(join(dir, "key.pem"), readFileSync(join(dir, "key.pem"), "utf8").replace(/[A-Za-z]/, (c) => (c === "A" ? "B" : "A")));
    expect(await providers.ServiceCertificate.diff(id, stored(outs), inputs)).toEqual({ changes: true, replaces: ["files"], deleteBeforeReplace: true });
    rmSync(dir, { recursive: true });
    expect(await providers.ServiceCertificate.diff(id, stored(outs), { ...inputs, lifetimeDays: 7 })).toEqual({ changes: true, replaces: ["lifetimeDays", "files"], deleteBeforeReplace: true });
  });

  it("a second create in the same folder gives a new key and serial", async () => {
    const dir = join(root, "svc-a");
    const first = await providers.ServiceCertificate.create(inputsFor(dir));
    const firstKey = readFileSync(join(dir, "key.pem"), "utf8");
    const second = await providers.ServiceCertificate.create(inputsFor(dir));
    expect(second.id).not.toBe(first.id);
    expect(second.outs.keyFingerprint).not.toBe(first.outs.keyFingerprint);
    expect(readFileSync(join(dir, "key.pem"), "utf8")).not.toBe(firstKey);
  });

  it("delete removes the readiness file, key, certificate, bundle and the emptied folder", async () => {
    const dir = join(root, "svc-a");
    const { id, outs } = await providers.ServiceCertificate.create(inputsFor(dir));
    writeFileSync(join(dir, "ready"), "{}");
    await providers.ServiceCertificate.delete(id, stored(outs));
    expect(existsSync(dir)).toBe(false);
    expect(existsSync(root)).toBe(true);
  });

  it("delete keeps the folder when it holds another file", async () => {
    const dir = join(root, "svc-a");
    const { id, outs } = await providers.ServiceCertificate.create(inputsFor(dir));
    writeFileSync(join(dir, "ready"), "{}");
    writeFileSync(join(dir, "service.toml"), "keep");
    await providers.ServiceCertificate.delete(id, stored(outs));
    expect(readdirSync(dir)).toEqual(["service.toml"]);
  });

  it("delete of an older issue leaves a newer issue's files alone (replace after the fact)", async () => {
    const dir = join(root, "svc-a");
    const old = await providers.ServiceCertificate.create(inputsFor(dir));
    const fresh = await providers.ServiceCertificate.create(inputsFor(dir));
    writeFileSync(join(dir, "ready"), "fresh");
    await providers.ServiceCertificate.delete(old.id, stored(old.outs));
    expect(readFileSync(join(dir, "cert.pem"), "utf8")).toBe(fresh.outs.certPem);
    expect(readdirSync(dir).sort()).toEqual(["ca.pem", "cert.pem", "key.pem", "ready"]);
    expect((await providers.ServiceCertificate.read(fresh.id, stored(fresh.outs))).props.files).toBe("intact");
  });
});
