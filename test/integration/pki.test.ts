// The PKI for real: pulumi up/preview/refresh/destroy typed in the project folder (the CLI runs index.ts through
// the language host), results checked with openssl.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { changedNames, expectOk, openssl, TestNode } from "../support/harness";

const SERVICES = [
  { name: "svc-a", hostnames: ["edgex-svc-a"], owner: { uid: 4242, gid: 4343 } },
  { name: "svc-b", hostnames: ["edgex-svc-b", "b.edge.local"], keyType: "ec-p384" },
  { name: "svc-c", keyType: "rsa-3072", extraSans: ["10.1.2.3"], includeLocalhost: false },
];

const fileMode = (path: string) => statSync(path).mode & 0o777;
const read = (path: string) => readFileSync(path, "utf8");
const serialOf = (certPath: string) => openssl("x509", "-in", certPath, "-noout", "-serial").trim().replace("serial=", "").toLowerCase();
const keyBody = (pem: string) => pem.split("\n").filter((l) => l && !l.startsWith("-----"));

describe("PKI on a real Pulumi engine", { timeout: 600_000 }, () => {
  const node = new TestNode("pki-it");
  const dirOf = (service: string) => join(node.secretsRoot, service);

  beforeAll(async () => {
    node.configure({ services: SERVICES });
    expectOk(await node.cli("up"));
  }, 600_000);
  afterAll(() => node.cleanup());

  it("issues one certificate per service that openssl verifies against the CA, with SANs and EKUs", async () => {
    const rootCa = join(node.secretsRoot, "ca.pem");
    for (const { name } of SERVICES) {
      const cert = join(dirOf(name), "cert.pem");
      expect(openssl("verify", "-CAfile", rootCa, cert)).toContain(": OK");
      expect(openssl("verify", "-CAfile", join(dirOf(name), "ca.pem"), cert)).toContain(": OK");
      const text = openssl("x509", "-in", cert, "-noout", "-subject", "-ext", "subjectAltName,extendedKeyUsage,basicConstraints");
      expect(text).toContain(`CN = ${name}`);
      expect(text).toContain("TLS Web Server Authentication, TLS Web Client Authentication");
      expect(text).toContain("CA:FALSE");
    }
    const sans = (s: string) => openssl("x509", "-in", join(dirOf(s), "cert.pem"), "-noout", "-ext", "subjectAltName");
    expect(sans("svc-a")).toMatch(/DNS:edgex-svc-a, DNS:localhost, IP Address:127\.0\.0\.1/);
    expect(sans("svc-b")).toMatch(/DNS:edgex-svc-b, DNS:b\.edge\.local, DNS:localhost/);
    expect(sans("svc-c")).toMatch(/DNS:svc-c, IP Address:10\.1\.2\.3/);
    expect(sans("svc-c")).not.toContain("localhost");
    expect(openssl("x509", "-in", join(dirOf("svc-c"), "cert.pem"), "-noout", "-text")).toContain("Public-Key: (3072 bit)");
    expect(openssl("x509", "-in", join(dirOf("svc-b"), "cert.pem"), "-noout", "-text")).toContain("NIST CURVE: P-384");
    expect(openssl("x509", "-in", join(node.secretsRoot, "ca.pem"), "-noout", "-text")).toContain("NIST CURVE: P-384");
  });

  it("writes 0700 folders, 0600 keys, distinct keys, and a readiness file naming the certificate", async () => {
    const keys = new Set<string>();
    for (const { name } of SERVICES) {
      expect(fileMode(dirOf(name))).toBe(0o700);
      expect(fileMode(join(dirOf(name), "key.pem"))).toBe(0o600);
      keys.add(read(join(dirOf(name), "key.pem")));
      const ready = JSON.parse(read(join(dirOf(name), "ready")));
      expect(ready).toEqual({ service: name, certificateSerial: serialOf(join(dirOf(name), "cert.pem")) });
      // The key on disk belongs to the certificate.
      const fromKey = openssl("pkey", "-in", join(dirOf(name), "key.pem"), "-pubout");
      const fromCert = openssl("x509", "-in", join(dirOf(name), "cert.pem"), "-noout", "-pubkey");
      expect(fromKey).toBe(fromCert);
    }
    expect(keys.size).toBe(SERVICES.length);
    // The root is traversable; a service's uid reads its own key and is denied every other service's folder.
    expect(fileMode(node.secretsRoot)).toBe(0o755);
    const asSvcA = (...cmd: string[]) => execFileSync("setpriv", ["--reuid", "4242", "--regid", "4343", "--clear-groups", ...cmd], { stdio: "pipe" });
    expect(asSvcA("cat", join(dirOf("svc-a"), "key.pem")).toString()).toContain("PRIVATE KEY");
    expect(() => asSvcA("cat", join(dirOf("svc-b"), "key.pem"))).toThrow(/Permission denied/);
    expect(() => asSvcA("ls", dirOf("svc-c"))).toThrow(/Permission denied/);
    // The configured owner holds the folder and every file in it.
    for (const f of ["", "ca.pem", "cert.pem", "key.pem", "ready"]) {
      const st = statSync(join(dirOf("svc-a"), f));
      expect([st.uid, st.gid]).toEqual([4242, 4343]);
    }
  });

  it("previews no change on a second run", async () => {
    const preview = expectOk(await node.cli("preview"));
    expect(preview.steps).toEqual([]);
    expect(Object.keys(preview.changeSummary)).toEqual(["same"]);
  });

  it("keeps every private key out of the state", async () => {
    const state = node.exportState();
    expect(state).not.toContain("PRIVATE KEY");
    for (const { name } of SERVICES) {
      for (const line of keyBody(read(join(dirOf(name), "key.pem")))) expect(state).not.toContain(line);
    }
    // The CA key is in the state only as a secret (ciphertext).
    const ca = JSON.parse(state).deployment.resources.find((r: { type: string }) => r.type.endsWith(":CertificateAuthority"));
    expect(ca.outputs.keyPem).toHaveProperty("ciphertext");
  });

  it("after a service's folder vanishes, previews exactly that service and reissues only it", async () => {
    const before = Object.fromEntries(SERVICES.map(({ name }) => [name, ["cert.pem", "key.pem", "ca.pem", "ready"].map((f) => read(join(dirOf(name), f)))]));
    const oldSerial = serialOf(join(dirOf("svc-b"), "cert.pem"));
    rmSync(dirOf("svc-b"), { recursive: true });

    const preview = expectOk(await node.cli("preview"));
    expect(changedNames(preview)).toEqual(["svc-b-cert", "svc-b-ready"]);
    expect(preview.steps.find((s) => s.name === "svc-b-cert" && s.op === "replace")?.keys).toContain("files");

    expectOk(await node.cli("up"));
    const newSerial = serialOf(join(dirOf("svc-b"), "cert.pem"));
    expect(newSerial).not.toBe(oldSerial);
    expect(read(join(dirOf("svc-b"), "key.pem"))).not.toBe(before["svc-b"][1]);
    expect(JSON.parse(read(join(dirOf("svc-b"), "ready"))).certificateSerial).toBe(newSerial);
    for (const name of ["svc-a", "svc-c"]) {
      expect(["cert.pem", "key.pem", "ca.pem", "ready"].map((f) => read(join(dirOf(name), f)))).toEqual(before[name]);
    }
    expect(expectOk(await node.cli("preview")).steps).toEqual([]);
  });

  it("refresh reports a file altered out of band, and up reissues that service", async () => {
    rmSync(join(dirOf("svc-c"), "key.pem"));
    expectOk(await node.cli("refresh"));
    const cert = JSON.parse(node.exportState()).deployment.resources.find((r: { urn: string }) => r.urn.endsWith("::svc-c-cert"));
    expect(cert.outputs.files).toBe("missing");
    const up = expectOk(await node.cli("up"));
    expect(changedNames(up)).toEqual(["svc-c-cert", "svc-c-ready"]);
    expect(openssl("verify", "-CAfile", join(node.secretsRoot, "ca.pem"), join(dirOf("svc-c"), "cert.pem"))).toContain(": OK");
  });

  it("rotates one service on request with --replace", async () => {
    const oldSerial = serialOf(join(dirOf("svc-a"), "cert.pem"));
    const urn = JSON.parse(node.exportState()).deployment.resources.find((r: { urn: string }) => r.urn.endsWith("::svc-a-cert")).urn;
    const up = expectOk(await node.cli("up", ["--replace", urn]));
    expect(changedNames(up)).toEqual(["svc-a-cert", "svc-a-ready"]);
    expect(serialOf(join(dirOf("svc-a"), "cert.pem"))).not.toBe(oldSerial);
  });

  it("destroy removes the folders and the CA certificate", async () => {
    expectOk(await node.cli("destroy"));
    for (const { name } of SERVICES) expect(existsSync(dirOf(name))).toBe(false);
    expect(existsSync(join(node.secretsRoot, "ca.pem"))).toBe(false);
  });
});
