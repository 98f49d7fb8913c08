// components/shared/files and components/pki/service-dir on a real temp folder: modes, atomic writes, inspect and remove.
import { generateKeyPairSync } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { EdgeError } from "../shared/errors";
import { DIR_MODE, ensureDir, ensureServiceDir, FilesError, PUBLIC_FILE_MODE, readIfExists, removeDirIfEmpty, removeFile, SECRET_FILE_MODE, SERVICE_FILES, SHARED_DIR_MODE, sha256Hex, writeFileAtomically } from "../shared/files";
import { createSelfSignedCa, issueServiceCertificate } from "./client";
import { inspectServiceCertificate, publicKeyFingerprint, removeServiceCertificate, serviceDirPaths, writeServiceCertificate } from "./service-dir";

// rmSync still does its work; the wrapper only records the order in which the clients remove files.
const removed = vi.hoisted(() => [] as string[]);
vi.mock("node:fs", async (importOriginal) => {
  const fs = await importOriginal<typeof import("node:fs")>();
  return { ...fs, rmSync: (path: string, opts?: object) => (removed.push(String(path)), fs.rmSync(path, opts)) };
});

const modeOf = (path: string) => statSync(path).mode & 0o777;
const isRoot = process.getuid?.() === 0;

describe("components/shared/files", () => {
  let tmp: string;
  beforeEach(() => {
    tmp = mkdtempSync(join(tmpdir(), "edge-unit-files-"));
  });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  it("has the modes the folder contract promises", () => {
    expect(DIR_MODE).toBe(0o700);
    expect(SHARED_DIR_MODE).toBe(0o755);
    expect(SECRET_FILE_MODE).toBe(0o600);
    expect(PUBLIC_FILE_MODE).toBe(0o644);
    expect(SERVICE_FILES).toEqual({ caCert: "ca.pem", cert: "cert.pem", key: "key.pem", ready: "ready" });
  });

  it("ensureDir creates parents and sets 0700 (or the given mode) even on an existing folder", () => {
    const dir = join(tmp, "a", "b");
    ensureDir(dir);
    expect(modeOf(dir)).toBe(0o700);
    ensureDir(dir, {}, 0o755);
    expect(modeOf(dir)).toBe(0o755);
    ensureDir(dir);
    expect(modeOf(dir)).toBe(0o700);
  });

  it("ensureServiceDir refuses a symbolic link in one line and leaves its target's mode alone", () => {
    const target = join(tmp, "elsewhere");
    mkdirSync(target, { mode: 0o755 });
    chmodSync(target, 0o755);
    const link = join(tmp, "root-with-link", "svc");
    mkdirSync(join(tmp, "root-with-link"));
    symlinkSync(target, link);
    let err: unknown;
    try {
      ensureServiceDir(link);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FilesError);
    expect(err).toBeInstanceOf(EdgeError);
    expect((err as Error).message).toBe(`${link} is a symbolic link: a service's folder must be a real folder under the secrets root (remove the link; the next run makes the folder)`);
    expect(modeOf(target)).toBe(0o755);
    ensureServiceDir(join(tmp, "root-with-link", "real"));
    expect(modeOf(join(tmp, "root-with-link", "real"))).toBe(0o700);
  });

  it("a file that cannot be written is a FilesError naming the path (one line, no stack)", async () => {
    const file = join(tmp, "not-a-folder");
    writeFileSync(file, "x");
    let err: unknown;
    try {
      await writeFileAtomically(join(file, "inside", "f"), "y", 0o600);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FilesError);
    expect(`${err}: ${(err as Error).stack}`).toBe(`FilesError: cannot set up the folder ${join(file, "inside")}: ENOTDIR (mkdir): `);
  });

  it("writeFileAtomically writes the content with the mode, in a 0700 folder by default, whatever the umask", async () => {
    const old = process.umask(0o077);
    try {
      const path = join(tmp, "svc", "cert.pem");
      await writeFileAtomically(path, "hello\n", 0o644);
      expect(readFileSync(path, "utf8")).toBe("hello\n");
      expect(modeOf(path)).toBe(0o644);
      expect(modeOf(join(tmp, "svc"))).toBe(0o700);
      const shared = join(tmp, "root", "ca.pem");
      await writeFileAtomically(shared, "ca\n", 0o644, {}, SHARED_DIR_MODE);
      expect(modeOf(join(tmp, "root"))).toBe(0o755);
    } finally {
      process.umask(old);
    }
  });

  it("writeFileAtomically replaces an existing file, changes its mode, and leaves no temporary file", async () => {
    const path = join(tmp, "svc", "key.pem");
    await writeFileAtomically(path, "one", 0o644);
    await writeFileAtomically(path, "two", 0o600);
    expect(readFileSync(path, "utf8")).toBe("two");
    expect(modeOf(path)).toBe(0o600);
    expect(readdirSync(join(tmp, "svc"))).toEqual(["key.pem"]);
  });

  it("concurrent writes to one path end with one whole content and no temporary files", async () => {
    const path = join(tmp, "svc", "ready");
    const contents = Array.from({ length: 20 }, (_, i) => `content-${i}-${"x".repeat(10_000)}`);
    await Promise.all(contents.map((c) => writeFileAtomically(path, c, 0o600)));
    expect(contents).toContain(readFileSync(path, "utf8"));
    expect(readdirSync(join(tmp, "svc"))).toEqual(["ready"]);
  });

  it.skipIf(!isRoot)("writeFileAtomically sets the owner of the file and its folder (root only)", async () => {
    const path = join(tmp, "svc", "key.pem");
    await writeFileAtomically(path, "k", 0o600, { uid: 4242, gid: 4343 });
    expect(statSync(path).uid).toBe(4242);
    expect(statSync(path).gid).toBe(4343);
    expect(statSync(join(tmp, "svc")).uid).toBe(4242);
    await writeFileAtomically(join(tmp, "svc2", "f"), "x", 0o600, { uid: 4242 });
    expect(statSync(join(tmp, "svc2", "f")).uid).toBe(4242);
    expect(statSync(join(tmp, "svc2", "f")).gid).toBe(process.getgid!());
  });

  it("readIfExists: content, or undefined for a missing file or a missing folder; other errors are thrown", () => {
    writeFileSync(join(tmp, "f"), "x");
    expect(readIfExists(join(tmp, "f"))).toBe("x");
    expect(readIfExists(join(tmp, "missing"))).toBeUndefined();
    expect(readIfExists(join(tmp, "missing-dir", "f"))).toBeUndefined();
    expect(readIfExists(join(tmp, "f", "below-a-file"))).toBeUndefined(); // ENOTDIR
    expect(() => readIfExists(tmp)).toThrow(/EISDIR/);
  });

  it("removeFile ignores a missing file; removeDirIfEmpty keeps a non-empty or missing folder", () => {
    const dir = join(tmp, "d");
    mkdirSync(dir);
    writeFileSync(join(dir, "other"), "x");
    removeFile(join(dir, "missing"));
    removeDirIfEmpty(dir);
    expect(existsSync(join(dir, "other"))).toBe(true);
    removeFile(join(dir, "other"));
    expect(existsSync(join(dir, "other"))).toBe(false);
    removeDirIfEmpty(dir);
    expect(existsSync(dir)).toBe(false);
    expect(() => removeDirIfEmpty(dir)).not.toThrow();
  });

  it("sha256Hex", () => {
    expect(sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
});

describe("components/pki/service-dir", { timeout: 60_000 }, () => {
  let tmp: string;
  let issued: { certPem: string; keyPem: string };
  let other: { certPem: string; keyPem: string };
  let trustBundlePem: string;

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), "edge-unit-service-dir-"));
    const ca = await createSelfSignedCa({ commonName: "svc dir CA", keyType: "ec-p256", lifetimeDays: 5 });
    trustBundlePem = ca.certPem;
    const args = { caCertPem: ca.certPem, caKeyPem: ca.keyPem, commonName: "svc", dnsNames: ["svc"], ipAddresses: [], keyType: "ec-p256" as const, lifetimeDays: 5 };
    issued = await issueServiceCertificate(args);
    other = await issueServiceCertificate(args);
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  let root: string;
  let dir: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmp, "root-"));
    dir = join(root, "secrets", "svc");
  });
  const expected = () => ({ certPem: issued.certPem, trustBundlePem, keyFingerprint: publicKeyFingerprint(issued.keyPem) });

  it("serviceDirPaths names the four files of the contract", () => {
    expect(serviceDirPaths("/s/a")).toEqual({ dir: "/s/a", caCertPath: "/s/a/ca.pem", certPath: "/s/a/cert.pem", keyPath: "/s/a/key.pem", readyPath: "/s/a/ready" });
  });

  it("publicKeyFingerprint is the same for the key in any encoding and differs between keys", () => {
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
    const pkcs8 = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    const sec1 = privateKey.export({ type: "sec1", format: "pem" }).toString();
    expect(publicKeyFingerprint(pkcs8)).toBe(publicKeyFingerprint(sec1));
    expect(publicKeyFingerprint(pkcs8)).toMatch(/^[0-9a-f]{64}$/);
    expect(publicKeyFingerprint(issued.keyPem)).not.toBe(publicKeyFingerprint(other.keyPem));
  });

  it("writeServiceCertificate writes the three files: folder 0700, key 0600, cert and bundle 0644, root 0755", async () => {
    const paths = await writeServiceCertificate(dir, { trustBundlePem, ...issued }, {});
    expect(paths).toEqual(serviceDirPaths(dir));
    expect(readFileSync(paths.certPath, "utf8")).toBe(issued.certPem);
    expect(readFileSync(paths.keyPath, "utf8")).toBe(issued.keyPem);
    expect(readFileSync(paths.caCertPath, "utf8")).toBe(trustBundlePem);
    expect(modeOf(dir)).toBe(0o700);
    expect(modeOf(join(root, "secrets"))).toBe(0o755);
    expect(modeOf(paths.keyPath)).toBe(0o600);
    expect(modeOf(paths.certPath)).toBe(0o644);
    expect(modeOf(paths.caCertPath)).toBe(0o644);
    expect(readdirSync(dir).sort()).toEqual(["ca.pem", "cert.pem", "key.pem"]);
  });

  it("writeServiceCertificate removes a readiness file left from an earlier issue, and overwrites the files", async () => {
    await writeServiceCertificate(dir, { trustBundlePem, ...other }, {});
    writeFileSync(join(dir, "ready"), "old");
    await writeServiceCertificate(dir, { trustBundlePem, ...issued }, {});
    expect(existsSync(join(dir, "ready"))).toBe(false);
    expect(readFileSync(join(dir, "cert.pem"), "utf8")).toBe(issued.certPem);
    expect(readdirSync(dir).sort()).toEqual(["ca.pem", "cert.pem", "key.pem"]);
  });

  it.skipIf(!isRoot)("writeServiceCertificate gives the folder and files to the owner, not the shared root (root only)", async () => {
    await writeServiceCertificate(dir, { trustBundlePem, ...issued }, { uid: 4242, gid: 4343 });
    for (const path of [dir, join(dir, "key.pem"), join(dir, "cert.pem"), join(dir, "ca.pem")]) {
      expect(statSync(path).uid).toBe(4242);
      expect(statSync(path).gid).toBe(4343);
    }
    expect(statSync(join(root, "secrets")).uid).toBe(process.getuid!());
  });

  it("inspectServiceCertificate: intact, missing, changed", async () => {
    expect(inspectServiceCertificate(dir, expected())).toBe("missing");
    await writeServiceCertificate(dir, { trustBundlePem, ...issued }, {});
    expect(inspectServiceCertificate(dir, expected())).toBe("intact");
    // a readiness file or an unrelated file does not matter
    writeFileSync(join(dir, "ready"), "r");
    expect(inspectServiceCertificate(dir, expected())).toBe("intact");

    for (const file of ["cert.pem", "key.pem", "ca.pem"]) {
      const saved = readFileSync(join(dir, file), "utf8");
      rmSync(join(dir, file));
      expect(inspectServiceCertificate(dir, expected()), `without ${file}`).toBe("missing");
      writeFileSync(join(dir, file), saved);
      expect(inspectServiceCertificate(dir, expected())).toBe("intact");
    }

    writeFileSync(join(dir, "cert.pem"), other.certPem);
    expect(inspectServiceCertificate(dir, expected())).toBe("changed");
    writeFileSync(join(dir, "cert.pem"), issued.certPem);

    writeFileSync(join(dir, "ca.pem"), trustBundlePem + trustBundlePem);
    expect(inspectServiceCertificate(dir, expected())).toBe("changed");
    writeFileSync(join(dir, "ca.pem"), trustBundlePem);

    writeFileSync(join(dir, "key.pem"), other.keyPem);
    expect(inspectServiceCertificate(dir, expected())).toBe("changed");
    writeFileSync(join(dir, "key.pem"), "garbage");
    expect(inspectServiceCertificate(dir, expected())).toBe("changed");
    writeFileSync(join(dir, "key.pem"), issued.keyPem);
    expect(inspectServiceCertificate(dir, expected())).toBe("intact");

    rmSync(dir, { recursive: true });
    expect(inspectServiceCertificate(dir, expected())).toBe("missing");
  });

  it("removeServiceCertificate removes the files and the folder when nothing else is left", async () => {
    await writeServiceCertificate(dir, { trustBundlePem, ...issued }, {});
    writeFileSync(join(dir, "ready"), "r");
    expect(removeServiceCertificate(dir, issued.certPem)).toBe(true);
    expect(existsSync(dir)).toBe(false);
    expect(existsSync(join(root, "secrets"))).toBe(true);
  });

  it("removeServiceCertificate removes the readiness file before the key, certificate and bundle", async () => {
    await writeServiceCertificate(dir, { trustBundlePem, ...issued }, {});
    writeFileSync(join(dir, "ready"), "r");
    removed.length = 0;
    removeServiceCertificate(dir, issued.certPem);
    const order = removed.filter((p) => p.startsWith(dir)).map((p) => p.slice(dir.length + 1));
    expect(order[0]).toBe("ready");
    expect(order.slice(1).sort()).toEqual(["ca.pem", "cert.pem", "key.pem"]);
  });

  it("writeServiceCertificate removes the readiness file before writing anything", async () => {
    await writeServiceCertificate(dir, { trustBundlePem, ...other }, {});
    writeFileSync(join(dir, "ready"), "old");
    const before = { key: readFileSync(join(dir, "key.pem"), "utf8") };
    removed.length = 0;
    const writing = writeServiceCertificate(dir, { trustBundlePem, ...issued }, {});
    // the synchronous part has run: ready is gone, the old key is still in place
    expect(removed.filter((p) => p.startsWith(dir))).toEqual([join(dir, "ready")]);
    expect(readFileSync(join(dir, "key.pem"), "utf8")).toBe(before.key);
    await writing;
    expect(readFileSync(join(dir, "key.pem"), "utf8")).toBe(issued.keyPem);
  });

  it("removeServiceCertificate leaves the folder when another file is present, removing ready and the three files", async () => {
    await writeServiceCertificate(dir, { trustBundlePem, ...issued }, {});
    writeFileSync(join(dir, "ready"), "r");
    writeFileSync(join(dir, "app.conf"), "keep me");
    expect(removeServiceCertificate(dir, issued.certPem)).toBe(true);
    expect(readdirSync(dir)).toEqual(["app.conf"]);
  });

  it("removeServiceCertificate leaves a newer issue's files alone", async () => {
    await writeServiceCertificate(dir, { trustBundlePem, ...other }, {});
    writeFileSync(join(dir, "ready"), "newer");
    expect(removeServiceCertificate(dir, issued.certPem)).toBe(false);
    expect(readdirSync(dir).sort()).toEqual(["ca.pem", "cert.pem", "key.pem", "ready"]);
    expect(readFileSync(join(dir, "cert.pem"), "utf8")).toBe(other.certPem);
  });

  it("removeServiceCertificate called as providers stored by older versions call it (no certPem) removes everything", async () => {
    await writeServiceCertificate(dir, { trustBundlePem, ...other }, {});
    writeFileSync(join(dir, "ready"), "r");
    expect(removeServiceCertificate(dir)).toBe(true);
    expect(existsSync(dir)).toBe(false);
  });

  it("removeServiceCertificate cleans up a folder whose certificate is already gone, and a missing folder", () => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "key.pem"), "orphan key");
    writeFileSync(join(dir, "ready"), "r");
    expect(removeServiceCertificate(dir, issued.certPem)).toBe(true);
    expect(existsSync(dir)).toBe(false);
    expect(removeServiceCertificate(dir, issued.certPem)).toBe(true);
  });
});
