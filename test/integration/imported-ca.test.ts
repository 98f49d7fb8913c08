// An imported CA (an intermediate under an operator's root, made with openssl) and bad input that must be
// refused in one line before anything is changed.
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectOk, openssl, TestNode } from "../support/harness";

function makeCaDir(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const sh = (cmd: string) => execFileSync("bash", ["-c", cmd], { cwd: dir, stdio: "pipe" });
  sh("openssl ecparam -name prime256v1 -genkey -noout -out root.key");
  sh(`openssl req -x509 -new -key root.key -sha256 -days 30 -subj "/CN=Operator Root" -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out root.crt`);
  // The intermediate's key in SEC1 ("EC PRIVATE KEY") form, as openssl writes it by default.
  sh("openssl ecparam -name secp384r1 -genkey -noout -out ca.key");
  sh(`openssl req -new -key ca.key -subj "/CN=Operator Edge Intermediate" -out ca.csr`);
  writeFileSync(join(dir, "ext.cnf"), "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n");
  sh("openssl x509 -req -in ca.csr -CA root.crt -CAkey root.key -CAcreateserial -days 20 -sha384 -extfile ext.cnf -out ca.crt");
  copyFileSync(join(dir, "root.crt"), join(dir, "chain.crt"));
}

describe("imported CA", { timeout: 600_000 }, () => {
  const node = new TestNode("import-it");
  const caDir = join(node.root, "operator-ca");

  beforeAll(() => makeCaDir(caDir));
  afterAll(() => node.cleanup());

  it("issues service certificates under the imported intermediate, verifiable up to the operator's root", async () => {
    node.configure({ pki: { ca: { source: "import", importDir: caDir } }, services: [{ name: "svc-x" }] });
    expectOk(await node.run("up"));
    const cert = join(node.secretsRoot, "svc-x", "cert.pem");
    expect(openssl("x509", "-in", cert, "-noout", "-issuer")).toContain("Operator Edge Intermediate");
    // The service's bundle holds the intermediate and the root: openssl verifies the full chain.
    expect(openssl("verify", "-CAfile", join(node.secretsRoot, "svc-x", "ca.pem"), cert)).toContain(": OK");
    expect(openssl("verify", "-CAfile", join(caDir, "root.crt"), "-untrusted", join(caDir, "ca.crt"), cert)).toContain(": OK");
    const state = node.exportState();
    expect(state).not.toContain("PRIVATE KEY");
    expectOk(await node.run("destroy"));
  });

  it("refuses a key that does not match the imported certificate, naming the file, and changes nothing", async () => {
    const badDir = join(node.root, "mismatched-ca");
    makeCaDir(badDir);
    copyFileSync(join(badDir, "root.key"), join(badDir, "ca.key"));
    node.configure({ pki: { ca: { source: "import", importDir: badDir } }, services: [{ name: "svc-x" }] });
    const result = await node.run("up");
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(`edge-security:pki.ca.importDir: ${join(badDir, "ca.key")}: private key does not match the certificate in ${join(badDir, "ca.crt")}`);
    expect(existsSync(join(node.secretsRoot, "svc-x"))).toBe(false);
  });

  it("refuses a missing import directory", async () => {
    node.configure({ pki: { ca: { source: "import", importDir: join(node.root, "nowhere") } }, services: [{ name: "svc-x" }] });
    const result = await node.run("preview");
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(`${join(node.root, "nowhere")}: CA import directory does not exist`);
  });
});

describe("bad stack config", { timeout: 600_000 }, () => {
  const node = new TestNode("bad-config-it");
  afterAll(() => node.cleanup());

  const cases: [string, Record<string, unknown>, string][] = [
    ["duplicate names", { services: [{ name: "a" }, { name: "a" }] }, `edge-security:services[1].name: duplicate service name "a"`],
    ["unsafe folder name", { services: [{ name: ".." }] }, `edge-security:services[0].name: ".." is not a safe folder name`],
    ["invalid SAN", { services: [{ name: "a", extraSans: ["not a host"] }] }, `edge-security:services[0].extraSans[0]: "not a host" is not a valid DNS name or IP address`],
    ["unknown key type", { services: [{ name: "a", keyType: "dsa-1024" }] }, "edge-security:services[0].keyType: must be one of ec-p256, ec-p384, rsa-3072"],
    ["negative lifetime", { services: [{ name: "a", lifetimeDays: -1 }] }, "edge-security:services[0].lifetimeDays: must be a positive number of days"],
  ];

  it.each(cases)("%s: one line naming the key, no stack trace, nothing written", async (_label, config, message) => {
    node.configure(config);
    const result = await node.run("up");
    expect(result.status).not.toBe(0);
    const errorLines = result.stderr.split("\n").filter((l) => l.startsWith("error: ") && !l.includes("update failed"));
    expect(errorLines).toHaveLength(1);
    expect(errorLines[0]).toContain(`error: ${message}`);
    expect(result.stdout + result.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(node.secretsRoot)).toBe(false);
  });
});
