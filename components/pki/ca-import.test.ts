// components/pki/ca-import: loadImportedCa on CA files made by the real openssl CLI.
import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CA_CERT_FILE, CA_CHAIN_FILE, CA_KEY_FILE, CaImportError, loadImportedCa } from "./ca-import";
import { issueServiceCertificate } from "./client";

const DAY_MS = 24 * 60 * 60 * 1000;

// A minimal config so the result does not depend on the system's openssl.cnf.
const OPENSSL_CNF = `
[req]
distinguished_name = dn
prompt = no
string_mask = utf8only
[dn]
CN = unused
[v3_ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[v3_int]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[v3_leaf]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
`;

/** Raw DER of the issuer and subject names of a certificate (a minimal DER walk; no re-encoding). */
function rawNames(certPem: string): { issuer: Buffer; subject: Buffer } {
  const der = new X509Certificate(certPem).raw;
  const tlv = (off: number) => {
    let len = der[off + 1];
    let header = 2;
    if (len & 0x80) {
      const n = len & 0x7f;
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + der[off + 2 + i];
      header += n;
    }
    return { tag: der[off], start: off, content: off + header, end: off + header + len };
  };
  const children = (parent: ReturnType<typeof tlv>) => {
    const out = [];
    for (let off = parent.content; off < parent.end; ) {
      const child = tlv(off);
      out.push(child);
      off = child.end;
    }
    return out;
  };
  const tbs = children(tlv(0))[0];
  const fields = children(tbs);
  const first = fields[0].tag === 0xa0 ? 1 : 0; // [0] version
  const at = (i: number) => der.subarray(fields[first + i].start, fields[first + i].end);
  return { issuer: Buffer.from(at(2)), subject: Buffer.from(at(4)) };
}

describe("loadImportedCa", { timeout: 120_000 }, () => {
  let tmp: string;
  let gen: string;
  const pem: Record<string, string> = {};

  const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: gen, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  const selfSigned = (name: string, subject: string, days: number, keyArgs: string[], extensions = "v3_ca") =>
    openssl("req", "-x509", "-config", "openssl.cnf", "-extensions", extensions, "-subj", subject, "-days", String(days), ...keyArgs, "-out", `${name}.crt`);
  const signed = (name: string, subject: string, keyFile: string, issuer: string, days: number) => {
    openssl("req", "-new", "-config", "openssl.cnf", "-subj", subject, "-key", keyFile, "-out", `${name}.csr`);
    openssl("x509", "-req", "-in", `${name}.csr`, "-CA", `${issuer}.crt`, "-CAkey", `${issuer}.key`, "-CAcreateserial", "-days", String(days), "-extfile", "openssl.cnf", "-extensions", "v3_int", "-out", `${name}.crt`);
  };

  let dirCount = 0;
  /** A fresh import directory holding exactly these files. */
  function importDir(files: Record<string, string>): string {
    const dir = join(tmp, `import-${dirCount++}`);
    mkdirSync(dir);
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
    return dir;
  }

  /** Asserts a CaImportError on one line that starts with the named file's path, and returns its message. */
  function importError(dir: string, file: string, now?: Date): string {
    let caught: unknown;
    try {
      loadImportedCa(dir, now);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(CaImportError);
    const { message } = caught as CaImportError;
    expect(message).not.toMatch(/[\r\n]/);
    const path = file ? join(dir, file) : dir;
    expect(message.startsWith(`${path}: `), `"${message}" should start with "${path}: "`).toBe(true);
    return message;
  }

  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), "edge-unit-ca-import-"));
    gen = join(tmp, "gen");
    mkdirSync(gen);
    writeFileSync(join(gen, "openssl.cnf"), OPENSSL_CNF);
    // root: EC P-384, key in PKCS#8
    selfSigned("root", "/CN=Edge Test Root CA", 30, ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384", "-nodes", "-keyout", "root.key"]);
    // intermediate signed by root: EC P-256, key in SEC1 ("EC PRIVATE KEY"); outlives the root on purpose
    openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "int.key");
    signed("int", "/CN=Edge Test Intermediate CA", "int.key", "root", 60);
    // a second level below it, so the chain holds two certificates
    openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "int2.key");
    signed("int2", "/CN=Edge Test Issuing CA", "int2.key", "int", 20);
    // RSA root with a PKCS#1 ("RSA PRIVATE KEY") key
    openssl("genrsa", "-traditional", "-out", "rsa.key", "2048");
    selfSigned("rsa", "/CN=Edge Test RSA Root", 30, ["-key", "rsa.key"]);
    // an unrelated root, a non-CA certificate, an intermediate with a multi-attribute subject, an Ed25519 CA
    selfSigned("other", "/CN=Some Other Root", 30, ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "other.key"]);
    selfSigned("leaf", "/CN=not-a-ca.example", 30, ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "leaf.key"], "v3_leaf");
    openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "org.key");
    signed("org", "/O=Example Corp/CN=Example Intermediate", "org.key", "root", 20);
    openssl("genpkey", "-algorithm", "ed25519", "-out", "ed.key");
    selfSigned("ed", "/CN=Ed25519 Root", 30, ["-key", "ed.key"]);
    for (const name of ["root", "int", "int2", "rsa", "other", "leaf", "org", "ed"]) {
      pem[`${name}.crt`] = readFileSync(join(gen, `${name}.crt`), "utf8");
      pem[`${name}.key`] = readFileSync(join(gen, `${name}.key`), "utf8");
    }
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it("generated the key formats under test", () => {
    expect(pem["root.key"]).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(pem["int.key"]).toMatch(/^-----BEGIN EC PRIVATE KEY-----/);
    expect(pem["rsa.key"]).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
    expect(new X509Certificate(pem["leaf.crt"]).ca).toBe(false);
    expect(new X509Certificate(pem["int.crt"]).ca).toBe(true);
  });

  describe("accepts", () => {
    it("a root CA with a PKCS#8 key and no chain", () => {
      const ca = loadImportedCa(importDir({ [CA_CERT_FILE]: pem["root.crt"], [CA_KEY_FILE]: pem["root.key"] }));
      expect(ca).toEqual({ certPem: pem["root.crt"], keyPem: pem["root.key"], chainPem: "" });
    });

    it("an RSA root with a PKCS#1 key", () => {
      const ca = loadImportedCa(importDir({ [CA_CERT_FILE]: pem["rsa.crt"], [CA_KEY_FILE]: pem["rsa.key"] }));
      expect(ca.keyPem).toBe(pem["rsa.key"]);
      expect(ca.chainPem).toBe("");
    });

    it("an intermediate with a SEC1 EC key and the root in chain.crt", () => {
      const ca = loadImportedCa(importDir({ [CA_CERT_FILE]: pem["int.crt"], [CA_KEY_FILE]: pem["int.key"], [CA_CHAIN_FILE]: pem["root.crt"] }));
      expect(ca).toEqual({ certPem: pem["int.crt"], keyPem: pem["int.key"], chainPem: pem["root.crt"] });
    });

    it("a second-level CA with two issuers in chain.crt, in order", () => {
      const chain = pem["int.crt"] + pem["root.crt"];
      const ca = loadImportedCa(importDir({ [CA_CERT_FILE]: pem["int2.crt"], [CA_KEY_FILE]: pem["int2.key"], [CA_CHAIN_FILE]: chain }));
      expect(ca.chainPem).toBe(chain);
    });

    it("a root whose chain.crt is present but empty", () => {
      expect(loadImportedCa(importDir({ [CA_CERT_FILE]: pem["root.crt"], [CA_KEY_FILE]: pem["root.key"], [CA_CHAIN_FILE]: "" })).chainPem).toBe("");
    });

    it("an imported intermediate signs service certificates that openssl verifies up to the root", async () => {
      const ca = loadImportedCa(importDir({ [CA_CERT_FILE]: pem["int.crt"], [CA_KEY_FILE]: pem["int.key"], [CA_CHAIN_FILE]: pem["root.crt"] }));
      const issued = await issueServiceCertificate({ caCertPem: ca.certPem, caKeyPem: ca.keyPem, commonName: "svc", dnsNames: ["svc"], ipAddresses: ["127.0.0.1"], keyType: "ec-p256", lifetimeDays: 10 });
      writeFileSync(join(gen, "svc.crt"), issued.certPem);
      expect(openssl("verify", "-CAfile", "root.crt", "-untrusted", "int.crt", "svc.crt")).toContain("svc.crt: OK");
      expect(() => openssl("verify", "-CAfile", "root.crt", "svc.crt")).toThrow();
    });
  });

  describe("rejects, naming the file", () => {
    it("a missing directory, or a file given as the directory", () => {
      const missing = join(tmp, "does-not-exist");
      expect(importError(missing, "")).toContain("does not exist");
      const file = join(tmp, "a-file");
      writeFileSync(file, "x");
      expect(importError(file, "")).toContain("does not exist");
    });

    it("a missing ca.crt", () => {
      expect(importError(importDir({ [CA_KEY_FILE]: pem["root.key"] }), CA_CERT_FILE)).toContain("cannot be read (ENOENT)");
    });

    it("a missing ca.key", () => {
      expect(importError(importDir({ [CA_CERT_FILE]: pem["root.crt"] }), CA_KEY_FILE)).toContain("cannot be read (ENOENT)");
    });

    it.each([
      ["garbage", "this is not a certificate\n"],
      ["empty", ""],
      ["a private key", "KEY"],
    ])("a ca.crt that is %s", (_label, content) => {
      const dir = importDir({ [CA_CERT_FILE]: content === "KEY" ? pem["root.key"] : content, [CA_KEY_FILE]: pem["root.key"] });
      expect(importError(dir, CA_CERT_FILE)).toContain("is not a PEM X.509 certificate");
    });

    it("a ca.crt that is not a CA (basicConstraints CA:FALSE)", () => {
      expect(importError(importDir({ [CA_CERT_FILE]: pem["leaf.crt"], [CA_KEY_FILE]: pem["leaf.key"] }), CA_CERT_FILE)).toContain("is not a CA");
    });

    it("an expired CA (now past its notAfter)", () => {
      const dir = importDir({ [CA_CERT_FILE]: pem["root.crt"], [CA_KEY_FILE]: pem["root.key"] });
      const message = importError(dir, CA_CERT_FILE, new Date(Date.now() + 365 * DAY_MS));
      expect(message).toContain(`certificate expired on ${new Date(new X509Certificate(pem["root.crt"]).validTo).toISOString()}`);
      expect(() => loadImportedCa(dir, new Date(Date.now() + 29 * DAY_MS))).not.toThrow();
    });

    it("a CA that is not valid yet (now before its notBefore)", () => {
      const dir = importDir({ [CA_CERT_FILE]: pem["root.crt"], [CA_KEY_FILE]: pem["root.key"] });
      expect(importError(dir, CA_CERT_FILE, new Date(Date.now() - DAY_MS))).toContain("is not valid before");
    });

    it("an expired issuer in chain.crt", () => {
      // int outlives the root: 45 days on, int is current and the root in chain.crt has expired.
      const dir = importDir({ [CA_CERT_FILE]: pem["int.crt"], [CA_KEY_FILE]: pem["int.key"], [CA_CHAIN_FILE]: pem["root.crt"] });
      expect(importError(dir, CA_CHAIN_FILE, new Date(Date.now() + 45 * DAY_MS))).toContain("expired");
    });

    it("a key that does not match the certificate", () => {
      const message = importError(importDir({ [CA_CERT_FILE]: pem["root.crt"], [CA_KEY_FILE]: pem["other.key"] }), CA_KEY_FILE);
      expect(message).toContain("does not match");
      expect(message).toContain(CA_CERT_FILE);
    });

    it("a ca.key that is not a private key", () => {
      expect(importError(importDir({ [CA_CERT_FILE]: pem["root.crt"], [CA_KEY_FILE]: pem["root.crt"] }), CA_KEY_FILE)).toContain("is not a PEM private key");
    });

    it("an intermediate without chain.crt (not self-signed)", () => {
      const message = importError(importDir({ [CA_CERT_FILE]: pem["int.crt"], [CA_KEY_FILE]: pem["int.key"] }), CA_CERT_FILE);
      expect(message).toContain("is not self-signed");
      expect(message).toContain(CA_CHAIN_FILE);
    });

    it("a chain.crt whose certificate did not sign ca.crt", () => {
      const message = importError(importDir({ [CA_CERT_FILE]: pem["int.crt"], [CA_KEY_FILE]: pem["int.key"], [CA_CHAIN_FILE]: pem["other.crt"] }), CA_CERT_FILE);
      expect(message).toContain("is not signed by the next certificate");
      expect(message).toContain(CA_CHAIN_FILE);
    });

    it("a chain.crt in the wrong order", () => {
      const dir = importDir({ [CA_CERT_FILE]: pem["int2.crt"], [CA_KEY_FILE]: pem["int2.key"], [CA_CHAIN_FILE]: pem["root.crt"] + pem["int.crt"] });
      expect(importError(dir, CA_CERT_FILE)).toContain("is not signed by the next certificate");
    });

    it("a chain.crt that stops below the root", () => {
      const dir = importDir({ [CA_CERT_FILE]: pem["int2.crt"], [CA_KEY_FILE]: pem["int2.key"], [CA_CHAIN_FILE]: pem["int.crt"] });
      expect(importError(dir, CA_CHAIN_FILE)).toContain("does not end at a self-signed root");
    });

    it("a chain.crt holding a non-CA certificate", () => {
      const dir = importDir({ [CA_CERT_FILE]: pem["int.crt"], [CA_KEY_FILE]: pem["int.key"], [CA_CHAIN_FILE]: pem["leaf.crt"] });
      expect(importError(dir, CA_CHAIN_FILE)).toContain("is not a CA");
    });

    it("a chain.crt with no certificate in it", () => {
      const dir = importDir({ [CA_CERT_FILE]: pem["int.crt"], [CA_KEY_FILE]: pem["int.key"], [CA_CHAIN_FILE]: "no pem here\n" });
      expect(importError(dir, CA_CHAIN_FILE)).toContain("holds no PEM certificate");
    });
  });

  describe("former bugs, fixed", () => {
    // node:crypto renders X509Certificate.subject one attribute per line: messages fold it onto one line.
    it("a multi-attribute subject still gives a one-line message", () => {
      importError(importDir({ [CA_CERT_FILE]: pem["org.crt"], [CA_KEY_FILE]: pem["org.key"], [CA_CHAIN_FILE]: pem["other.crt"] }), CA_CERT_FILE);
    });

    // An Ed25519 (or P-521) CA key cannot sign here: refused at import, before any resource is registered.
    it("an Ed25519 CA key is rejected at import, naming ca.key", () => {
      importError(importDir({ [CA_CERT_FILE]: pem["ed.crt"], [CA_KEY_FILE]: pem["ed.key"] }), CA_KEY_FILE);
    });

    // The leaf's issuer must be the CA's subject byte for byte (a CA made by openssl uses UTF8String): openssl
    // compares canonical forms, but Go's crypto/x509 compares bytes and would reject a re-encoded name.
    it("a certificate issued by a self-signed CA of ours has an issuer byte-identical to the CA subject", async () => {
      const { createSelfSignedCa } = await import("./client");
      const ca = await createSelfSignedCa({ commonName: "Edge CA", keyType: "ec-p256", lifetimeDays: 5 });
      const issued = await issueServiceCertificate({ caCertPem: ca.certPem, caKeyPem: ca.keyPem, commonName: "svc", dnsNames: ["svc"], ipAddresses: [], keyType: "ec-p256", lifetimeDays: 5 });
      expect(rawNames(issued.certPem).issuer.equals(rawNames(ca.certPem).subject)).toBe(true);
    });
    it("a certificate issued by an imported openssl CA has an issuer byte-identical to the CA subject", async () => {
      const ca = loadImportedCa(importDir({ [CA_CERT_FILE]: pem["root.crt"], [CA_KEY_FILE]: pem["root.key"] }));
      const issued = await issueServiceCertificate({ caCertPem: ca.certPem, caKeyPem: ca.keyPem, commonName: "svc", dnsNames: ["svc"], ipAddresses: [], keyType: "ec-p256", lifetimeDays: 5 });
      expect(rawNames(issued.certPem).issuer.toString("hex")).toBe(rawNames(ca.certPem).subject.toString("hex"));
    });
  });
});
