// components/pki/client: self-signed CAs and service certificates, checked with node:crypto and the real openssl CLI.
import { execFileSync } from "node:child_process";
import { createPrivateKey, X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CaResult, certificateFacts, createSelfSignedCa, issueServiceCertificate, KEY_TYPES, KeyType, keyMatchesCertificate } from "./client";

const DAY_MS = 24 * 60 * 60 * 1000;
const openssl = (...args: string[]) => execFileSync("openssl", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

const CURVES: Record<string, string> = { "ec-p256": "prime256v1", "ec-p384": "secp384r1" };

function expectKeyType(keyPem: string, keyType: KeyType): void {
  const key = createPrivateKey(keyPem);
  if (keyType === "rsa-3072") {
    expect(key.asymmetricKeyType).toBe("rsa");
    expect(key.asymmetricKeyDetails?.modulusLength).toBe(3072);
  } else {
    expect(key.asymmetricKeyType).toBe("ec");
    expect(key.asymmetricKeyDetails?.namedCurve).toBe(CURVES[keyType]);
  }
}

describe("components/pki/client", { timeout: 120_000 }, () => {
  let tmp: string;
  const cas = {} as Record<KeyType, CaResult>;

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), "edge-unit-pki-"));
    for (const keyType of KEY_TYPES) cas[keyType] = await createSelfSignedCa({ commonName: `test CA ${keyType}`, keyType, lifetimeDays: 30 });
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  const write = (name: string, content: string) => {
    const path = join(tmp, name);
    writeFileSync(path, content);
    return path;
  };

  describe.each(KEY_TYPES)("self-signed CA %s", (keyType) => {
    it("is a CA, self-signed, with a PKCS#8 key of the right type that matches it", () => {
      const { certPem, keyPem } = cas[keyType];
      const cert = new X509Certificate(certPem);
      expect(cert.ca).toBe(true);
      expect(cert.subject).toBe(`CN=test CA ${keyType}`);
      expect(cert.issuer).toBe(cert.subject);
      expect(cert.checkIssued(cert)).toBe(true);
      expect(cert.verify(cert.publicKey)).toBe(true);
      expect(keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
      expectKeyType(keyPem, keyType);
      expect(keyMatchesCertificate(keyPem, certPem)).toBe(true);
    });

    it("has the requested lifetime, starts a few minutes in the past, and openssl sees CA:TRUE and keyCertSign", () => {
      const cert = new X509Certificate(cas[keyType].certPem);
      const from = new Date(cert.validFrom).getTime();
      const to = new Date(cert.validTo).getTime();
      expect(from).toBeLessThan(Date.now());
      expect(Date.now() - from).toBeLessThan(15 * 60 * 1000);
      expect(Math.abs(to - from - 30 * DAY_MS - 5 * 60 * 1000)).toBeLessThan(5 * 60 * 1000);
      const text = openssl("x509", "-in", write(`ca-${keyType}.pem`, cas[keyType].certPem), "-noout", "-ext", "basicConstraints,keyUsage");
      expect(text).toContain("CA:TRUE");
      expect(text).toContain("Certificate Sign");
      // openssl accepts it as its own trust anchor
      expect(openssl("verify", "-CAfile", join(tmp, `ca-${keyType}.pem`), join(tmp, `ca-${keyType}.pem`))).toContain(": OK");
    });
  });

  it("uses ec-p384 for the CA when the config does not say otherwise", async () => {
    const { parseNodeConfig } = await import("../node-config");
    const { ca } = parseNodeConfig({ services: [{ name: "a" }] });
    const made = await createSelfSignedCa({ commonName: ca.commonName, keyType: ca.keyType, lifetimeDays: ca.lifetimeDays });
    expectKeyType(made.keyPem, "ec-p384");
    expect(openssl("x509", "-in", write("default-ca.pem", made.certPem), "-noout", "-text")).toContain("NIST CURVE: P-384");
  });

  describe.each(KEY_TYPES)("service certificate %s", (keyType) => {
    // Signed by a CA of a different key type, so the signing algorithm follows the CA key, not the leaf key.
    const caType: KeyType = keyType === "ec-p384" ? "rsa-3072" : "ec-p384";
    const otherType: KeyType = "ec-p256"; // a CA that did not sign it (caType is never ec-p256)

    it("verifies against its CA (node:crypto and openssl), carries the SANs, and is not a CA", async () => {
      const ca = cas[caType];
      const issued = await issueServiceCertificate({
        caCertPem: ca.certPem,
        caKeyPem: ca.keyPem,
        commonName: "svc-a",
        dnsNames: ["svc-a", "svc-a.edge.local", "localhost"],
        ipAddresses: ["127.0.0.1", "10.1.2.3", "fd00::1"],
        keyType,
        lifetimeDays: 10,
      });
      const caCert = new X509Certificate(ca.certPem);
      const cert = new X509Certificate(issued.certPem);
      expect(cert.verify(caCert.publicKey)).toBe(true);
      expect(cert.checkIssued(caCert)).toBe(true);
      expect(cert.verify(new X509Certificate(cas[otherType].certPem).publicKey)).toBe(false);
      expect(cert.ca).toBe(false);
      expect(cert.subject).toBe("CN=svc-a");
      expect(cert.issuer).toBe(caCert.subject);
      for (const san of ["DNS:svc-a", "DNS:svc-a.edge.local", "DNS:localhost", "IP Address:127.0.0.1", "IP Address:10.1.2.3", "IP Address:FD00:0:0:0:0:0:0:1"]) {
        expect(cert.subjectAltName).toContain(san);
      }
      expect(cert.checkHost("svc-a.edge.local")).toBe("svc-a.edge.local");
      expect(cert.checkIP("10.1.2.3")).toBe("10.1.2.3");
      expect(cert.checkHost("other.example")).toBeUndefined();
      expectKeyType(issued.keyPem, keyType);
      expect(keyMatchesCertificate(issued.keyPem, issued.certPem)).toBe(true);
      expect(issued).toMatchObject(certificateFacts(issued.certPem));
      expect(issued.serialNumber).toBe(cert.serialNumber.toLowerCase());

      const caPath = write(`svc-ca-${keyType}.pem`, ca.certPem);
      const certPath = write(`svc-${keyType}.pem`, issued.certPem);
      expect(openssl("verify", "-CAfile", caPath, certPath)).toContain(`${certPath}: OK`);
      expect(openssl("verify", "-CAfile", caPath, "-purpose", "sslserver", certPath)).toContain(": OK");
      expect(openssl("verify", "-CAfile", caPath, "-purpose", "sslclient", certPath)).toContain(": OK");
      const text = openssl("x509", "-in", certPath, "-noout", "-ext", "basicConstraints,extendedKeyUsage");
      expect(text).toContain("CA:FALSE");
      expect(text).toContain("TLS Web Server Authentication, TLS Web Client Authentication");
      // not verified by an unrelated CA
      const otherCa = write(`other-ca-${keyType}.pem`, cas[otherType].certPem);
      expect(() => openssl("verify", "-CAfile", otherCa, certPath)).toThrow();
    });
  });

  it("gives each issue a fresh key and a fresh serial", async () => {
    const ca = cas["ec-p384"];
    const args = { caCertPem: ca.certPem, caKeyPem: ca.keyPem, commonName: "svc", dnsNames: ["svc"], ipAddresses: [], keyType: "ec-p256" as const, lifetimeDays: 10 };
    const [a, b] = await Promise.all([issueServiceCertificate(args), issueServiceCertificate(args)]);
    expect(a.keyPem).not.toBe(b.keyPem);
    expect(a.serialNumber).not.toBe(b.serialNumber);
    expect(a.fingerprint).not.toBe(b.fingerprint);
    expect(keyMatchesCertificate(a.keyPem, b.certPem)).toBe(false);
    expect(keyMatchesCertificate(b.keyPem, a.certPem)).toBe(false);
    // positive, at most 20 octets (RFC 5280)
    for (const serial of [a.serialNumber, b.serialNumber]) {
      expect(serial).toMatch(/^[0-9a-f]+$/);
      expect(serial.length).toBeLessThanOrEqual(40);
      expect(parseInt(serial.slice(0, 2), 16)).toBeLessThan(0x80);
    }
  });

  it("signs with the CA it is given when more CAs than it keeps parsed take turns (one process, many CAs)", async () => {
    const many = await Promise.all(Array.from({ length: 6 }, (_, i) => createSelfSignedCa({ commonName: `ca-${i}`, keyType: "ec-p256", lifetimeDays: 10 })));
    for (const round of [0, 1]) {
      for (const [i, ca] of many.entries()) {
        const issued = await issueServiceCertificate({ caCertPem: ca.certPem, caKeyPem: ca.keyPem, commonName: `svc-${round}-${i}`, dnsNames: [], ipAddresses: [], keyType: "ec-p256", lifetimeDays: 1 });
        const cert = new X509Certificate(issued.certPem);
        const caCert = new X509Certificate(ca.certPem);
        expect(cert.checkIssued(caCert)).toBe(true);
        expect(cert.verify(caCert.publicKey)).toBe(true);
        expect(cert.verify(new X509Certificate(many[(i + 1) % many.length].certPem).publicKey)).toBe(false);
      }
    }
  });

  it("sets notAfter from lifetimeDays when the CA outlives it", async () => {
    const ca = cas["ec-p384"];
    const issued = await issueServiceCertificate({ caCertPem: ca.certPem, caKeyPem: ca.keyPem, commonName: "svc", dnsNames: ["svc"], ipAddresses: [], keyType: "ec-p256", lifetimeDays: 7 });
    const expected = Date.now() + 7 * DAY_MS;
    expect(Math.abs(new Date(issued.notAfter).getTime() - expected)).toBeLessThan(60_000);
    expect(new Date(issued.notAfter).getTime()).toBeLessThan(new Date(new X509Certificate(ca.certPem).validTo).getTime());
  });

  it("caps notAfter at the CA's notAfter when the lifetime exceeds the CA's", async () => {
    const ca = await createSelfSignedCa({ commonName: "short CA", keyType: "ec-p256", lifetimeDays: 2 });
    const issued = await issueServiceCertificate({ caCertPem: ca.certPem, caKeyPem: ca.keyPem, commonName: "svc", dnsNames: ["svc"], ipAddresses: [], keyType: "ec-p256", lifetimeDays: 365 });
    const caCert = new X509Certificate(ca.certPem);
    const cert = new X509Certificate(issued.certPem);
    expect(cert.validTo).toBe(caCert.validTo);
    expect(issued.notAfter).toBe(new Date(caCert.validTo).toISOString());
    expect(new Date(cert.validFrom).getTime()).toBeGreaterThanOrEqual(new Date(caCert.validFrom).getTime());
  });

  it("signs with a CA key in SEC1 (EC PRIVATE KEY) and PKCS#1 (RSA PRIVATE KEY) form", async () => {
    for (const caType of ["ec-p384", "rsa-3072"] as const) {
      const ca = cas[caType];
      const traditional = createPrivateKey(ca.keyPem).export({ type: caType === "rsa-3072" ? "pkcs1" : "sec1", format: "pem" }).toString();
      expect(traditional).toMatch(caType === "rsa-3072" ? /BEGIN RSA PRIVATE KEY/ : /BEGIN EC PRIVATE KEY/);
      const issued = await issueServiceCertificate({ caCertPem: ca.certPem, caKeyPem: traditional, commonName: "svc", dnsNames: ["svc"], ipAddresses: [], keyType: "ec-p256", lifetimeDays: 5 });
      expect(new X509Certificate(issued.certPem).verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
    }
  });

  it("rejects a CA key of an unsupported type with a message naming it", async () => {
    const { generateKeyPairSync } = await import("node:crypto");
    const ed = generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    const p521 = generateKeyPairSync("ec", { namedCurve: "secp521r1" }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    const base = { caCertPem: cas["ec-p384"].certPem, commonName: "svc", dnsNames: ["svc"], ipAddresses: [], keyType: "ec-p256" as const, lifetimeDays: 5 };
    await expect(issueServiceCertificate({ ...base, caKeyPem: ed })).rejects.toThrow(/unsupported key type ed25519/);
    await expect(issueServiceCertificate({ ...base, caKeyPem: p521 })).rejects.toThrow(/unsupported EC curve secp521r1/);
  });

  it("keyMatchesCertificate tells a matching key from another one, across key types", () => {
    expect(keyMatchesCertificate(cas["ec-p256"].keyPem, cas["ec-p256"].certPem)).toBe(true);
    expect(keyMatchesCertificate(cas["rsa-3072"].keyPem, cas["rsa-3072"].certPem)).toBe(true);
    expect(keyMatchesCertificate(cas["ec-p256"].keyPem, cas["ec-p384"].certPem)).toBe(false);
    expect(keyMatchesCertificate(cas["rsa-3072"].keyPem, cas["ec-p256"].certPem)).toBe(false);
    // same key in another encoding still matches
    const sec1 = createPrivateKey(cas["ec-p256"].keyPem).export({ type: "sec1", format: "pem" }).toString();
    expect(keyMatchesCertificate(sec1, cas["ec-p256"].certPem)).toBe(true);
    expect(() => keyMatchesCertificate("not a key", cas["ec-p256"].certPem)).toThrow();
  });

  it("certificateFacts: lower-case serial, SHA-256 of the DER, ISO expiry", () => {
    const pem = cas["ec-p256"].certPem;
    const cert = new X509Certificate(pem);
    const facts = certificateFacts(pem);
    expect(facts.serialNumber).toBe(cert.serialNumber.toLowerCase());
    expect(facts.fingerprint).toBe(cert.fingerprint256.replace(/:/g, "").toLowerCase());
    expect(facts.notAfter).toBe(new Date(cert.validTo).toISOString());
  });
});
