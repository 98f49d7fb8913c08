// Rotation and renewal for real: the node stack through the real CLI (`pulumi preview/up` typed in the project
// folder), checked with openssl (certificate serials and dates) and, for tokens, the real `bao` CLI against a
// real OpenBao. Each rotation is previewed (exactly the resources it touches), performed by `up`, and followed by
// a preview that shows no changes.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { changedNames, expectOk, openssl, TestNode } from "../support/harness";

const read = (path: string) => readFileSync(path, "utf8");
const serialOf = (certPath: string) => openssl("x509", "-in", certPath, "-noout", "-serial").trim().replace("serial=", "").toLowerCase();
const notAfterOf = (certPath: string) => new Date(openssl("x509", "-in", certPath, "-noout", "-enddate").trim().replace("notAfter=", ""));
const DAY_MS = 24 * 60 * 60 * 1000;

/** Waits (polling the clock, not the stack) until `at` has passed: the point of the test is time going by. */
async function until(at: number): Promise<void> {
  while (Date.now() < at) await new Promise((r) => setTimeout(r, Math.min(1000, at - Date.now())));
}

describe("certificate rotation and renewal (PKI only)", { timeout: 900_000 }, () => {
  const node = new TestNode("rotation-pki");
  const SERVICES = [{ name: "svc-a", lifetimeDays: 1 }, { name: "svc-b" }, { name: "svc-c" }];
  const cert = (s: string) => join(node.secretsRoot, s, "cert.pem");
  const serials = () => Object.fromEntries(SERVICES.map((s) => [s.name, serialOf(cert(s.name))]));
  let config: Record<string, unknown> = { services: SERVICES };

  beforeAll(async () => {
    node.configure(config);
    expectOk(await node.cli("up"));
  }, 600_000);
  afterAll(() => node.cleanup());

  it("a fresh stack previews no changes (the default renewal window does not touch new certificates)", async () => {
    expect(changedNames(expectOk(await node.cli("preview")))).toEqual([]);
  });

  it("rotates one service's certificate: preview shows it and its readiness file only, up does it, then no changes", async () => {
    const before = serials();
    config = { ...config, rotation: { services: { "svc-b": { certificate: 1 } } } };
    node.configure(config);
    const preview = expectOk(await node.cli("preview"));
    expect(changedNames(preview)).toEqual(["svc-b-cert", "svc-b-ready"]);
    expect(preview.steps.find((s) => s.name === "svc-b-cert")?.op).toBe("replace");
    expectOk(await node.cli("up"));
    const after = serials();
    expect(after["svc-b"]).not.toBe(before["svc-b"]);
    expect({ ...after, "svc-b": "" }).toEqual({ ...before, "svc-b": "" });
    expect(JSON.parse(read(join(node.secretsRoot, "svc-b", "ready"))).certificateSerial).toBe(after["svc-b"]);
    expect(openssl("verify", "-CAfile", join(node.secretsRoot, "ca.pem"), cert("svc-b"))).toContain(": OK");
    expect(changedNames(expectOk(await node.cli("preview")))).toEqual([]);
  });

  it("rotates every certificate of the node with one counter", async () => {
    const before = serials();
    config = { ...config, rotation: { certificates: 1, services: { "svc-b": { certificate: 1 } } } };
    node.configure(config);
    expect(changedNames(expectOk(await node.cli("preview")))).toEqual(["svc-a-cert", "svc-a-ready", "svc-b-cert", "svc-b-ready", "svc-c-cert", "svc-c-ready"]);
    expectOk(await node.cli("up"));
    const after = serials();
    for (const s of SERVICES) expect(after[s.name], s.name).not.toBe(before[s.name]);
    expect(changedNames(expectOk(await node.cli("preview")))).toEqual([]);
  });

  it("renews a certificate inside its renewal window, with its expiry date in the preview, and touches nothing else", async () => {
    // svc-a lives 1 day; a window of 1 day less 90 s puts it inside the window 90 s after it was issued.
    const windowDays = 1 - 90 / 86_400;
    const before = serials();
    const expires = notAfterOf(cert("svc-a"));
    config = { ...config, services: [{ ...SERVICES[0], renewBeforeDays: windowDays }, ...SERVICES.slice(1)] };
    node.configure(config);
    // Before the window the new setting changes nothing.
    if (Date.now() < expires.getTime() - windowDays * DAY_MS - 20_000) expect(changedNames(expectOk(await node.cli("preview")))).toEqual([]);
    await until(expires.getTime() - windowDays * DAY_MS + 1000);
    const preview = expectOk(await node.cli("preview"));
    expect(changedNames(preview)).toEqual(["svc-a-cert", "svc-a-ready"]);
    expect(preview.stdout + preview.stderr).toContain(`svc-a: certificate expires ${expires.toISOString()}`);
    expectOk(await node.cli("up"));
    const after = serials();
    expect(after["svc-a"]).not.toBe(before["svc-a"]);
    expect(notAfterOf(cert("svc-a")).getTime()).toBeGreaterThan(expires.getTime());
    expect({ ...after, "svc-a": "" }).toEqual({ ...before, "svc-a": "" });
    // The renewed certificate is outside the window again (for the next 90 s).
    expect(changedNames(expectOk(await node.cli("preview")))).toEqual([]);
  });

  it("refuses a window as long as the lifetime, naming the key, before anything changes", async () => {
    node.configure({ ...config, services: [{ ...SERVICES[0], renewBeforeDays: 1 }, ...SERVICES.slice(1)] });
    const preview = await node.cli("preview");
    expect(preview.status).not.toBe(0);
    expect(preview.stdout + preview.stderr).toContain("edge-security:services[0].renewBeforeDays: must be less than the certificate's lifetime (1 days");
    node.configure(config);
  });
});
