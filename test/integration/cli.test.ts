// `pulumi preview/up/refresh/destroy` typed in the project folder, as a Pulumi user works: the real CLI starts the
// language host next to it, which runs index.ts; the PKI's results are checked with openssl. Everything here runs
// with each host: Pulumi's official one (a stock install's layout, tools/stock, built from ../shared) and the
// project's own (tools/bin); the host the CLI picked is read from its child processes, not assumed.
import { execFileSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { changedNames, expectOk, HOST_DIRS, HostKind, languageHostOf, OFFICIAL_HOST_BUILT, openssl, TestNode } from "../support/harness";
import { sharedPath } from "../support/shared";

const SERVICES = [{ name: "svc-a" }, { name: "svc-b", hostnames: ["edgex-svc-b"] }];
const serialOf = (certPath: string) => openssl("x509", "-in", certPath, "-noout", "-serial").trim().replace("serial=", "").toLowerCase();

/** The hosts to run with: the project's own always; the official one where ../shared holds its source (the set-up builds it then). */
const HOSTS: HostKind[] = ["project"];
if (sharedPath("pulumi-language-nodejs", "the CLI tests with Pulumi's official language host")) {
  if (!OFFICIAL_HOST_BUILT) throw new Error(`${HOST_DIRS.official}/pulumi-language-nodejs is missing although ../shared holds its source: run \`npm run setup\``);
  HOSTS.unshift("official");
}

describe.each(HOSTS)("the Pulumi CLI in the project folder, %s language host", { timeout: 600_000 }, (host) => {
  const node = new TestNode(`cli-it-${host}`);
  node.host = host;
  const dirOf = (service: string) => join(node.secretsRoot, service);
  const urnOf = (name: string): string => JSON.parse(node.exportState()).deployment.resources.find((r: { urn: string }) => r.urn.endsWith(`::${name}`)).urn;

  beforeAll(() => node.configure({ services: SERVICES }));
  afterAll(() => node.cleanup());

  it("pulumi preview plans the node, then pulumi up builds it; the files verify with openssl", async () => {
    const preview = expectOk(await node.cli("preview", [], {}, { children: true }));
    expect(languageHostOf(preview), preview.children?.join("\n")).toBe(host);
    expect(changedNames(preview)).toContain("svc-a-cert");
    expect(preview.changeSummary.create).toBeGreaterThan(0);
    expect(existsSync(dirOf("svc-a"))).toBe(false);

    const up = expectOk(await node.cli("up"));
    expect(up.changeSummary.create).toBe(preview.changeSummary.create);
    for (const { name } of SERVICES) expect(openssl("verify", "-CAfile", join(node.secretsRoot, "ca.pem"), join(dirOf(name), "cert.pem"))).toContain(": OK");
    // The display is a summary, not the resources' property dumps.
    expect(up.stdout).toMatch(/Resources:\n\s+\+ \d+ created/);
    expect(up.stdout).not.toContain("certificatePem");
  });

  it("pulumi stack output --json gives the node's outputs", () => {
    const outputs = node.outputs();
    expect(JSON.stringify(outputs)).toContain(join(dirOf("svc-a"), "cert.pem"));
  });

  it("--expect-no-changes passes on a converged node and fails once a folder vanished; --diff names what changes", async () => {
    expectOk(await node.cli("preview", ["--expect-no-changes"]));
    rmSync(dirOf("svc-b"), { recursive: true });
    const failed = await node.cli("preview", ["--expect-no-changes", "--diff"]);
    expect(failed.status).not.toBe(0);
    expect(failed.stdout + failed.stderr).toMatch(/no changes were expected for preview but changes were proposed/);
    expect(changedNames(failed)).toEqual(["svc-b-cert", "svc-b-ready"]);
    expect(failed.stdout).toMatch(/\+-pulumi-nodejs:dynamic\/edge-security:ServiceCertificate: \(replace\)\s+\[id=svc-b:\w+\]\s+\[urn=\S+::svc-b-cert\]/);
  });

  it("--json prints the plan as JSON", async () => {
    const json = expectOk(await node.cli("preview", ["--json"]));
    const plan = JSON.parse(json.stdout);
    const ops = Object.fromEntries(plan.steps.map((s: { urn: string; op: string }) => [s.urn.split("::").pop(), s.op]));
    expect(ops["svc-b-cert"]).toBe("replace");
    expect(plan.changeSummary.same).toBeGreaterThan(0);
  });

  it("--target changes only the named resource (and the readiness file that is replaced with it)", async () => {
    // Both services' folders are gone; only svc-b is targeted.
    rmSync(dirOf("svc-a"), { recursive: true });
    const up = expectOk(await node.cli("up", ["--target", urnOf("svc-b-cert")]));
    expect(changedNames(up)).toEqual(["svc-b-cert", "svc-b-ready"]);
    expect(existsSync(join(dirOf("svc-b"), "cert.pem"))).toBe(true);
    expect(existsSync(dirOf("svc-a"))).toBe(false);
    // svc-a is still out of date (svc-b's readiness file may be too: the engine handles dependents of a
    // targeted replacement on its own terms).
    const after = changedNames(expectOk(await node.cli("preview")));
    expect(after).toEqual(expect.arrayContaining(["svc-a-cert", "svc-a-ready"]));
    expect(after).not.toContain("svc-b-cert");
    expectOk(await node.cli("up"));
    expect(expectOk(await node.cli("preview")).steps).toEqual([]);
  });

  it("--replace rotates one service's certificate", async () => {
    const old = serialOf(join(dirOf("svc-a"), "cert.pem"));
    const up = expectOk(await node.cli("up", ["--replace", urnOf("svc-a-cert")]));
    expect(changedNames(up)).toEqual(["svc-a-cert", "svc-a-ready"]);
    expect(serialOf(join(dirOf("svc-a"), "cert.pem"))).not.toBe(old);
  });

  it("pulumi refresh reads what is on disk", async () => {
    rmSync(join(dirOf("svc-a"), "key.pem"));
    expectOk(await node.cli("refresh"));
    expect(node.stateOutputs("svc-a-cert").files).toBe("missing");
    expect(changedNames(expectOk(await node.cli("up")))).toEqual(["svc-a-cert", "svc-a-ready"]);
  });

  it("a config mistake is one line naming the key, with no stack trace", async () => {
    node.configure({ services: [...SERVICES, { name: "svc-a" }] });
    const bad = await node.cli("preview");
    expect(bad.status).not.toBe(0);
    const out = bad.stdout + bad.stderr;
    expect(out).toContain('edge-security:services[2].name: duplicate service name "svc-a"');
    expect(out).not.toMatch(/^\s+at /m);
    node.configure({ services: SERVICES });
  });

  it("pulumi destroy removes the folders and the CA certificate", async () => {
    expectOk(await node.cli("destroy"));
    for (const { name } of SERVICES) expect(existsSync(dirOf(name))).toBe(false);
    expect(existsSync(join(node.secretsRoot, "ca.pem"))).toBe(false);
  });
});

describe.each(HOSTS)("plain pulumi from a clean environment (nothing of scripts/env.sh), %s language host", { timeout: 600_000 }, (host) => {
  const node = new TestNode(`clean-${host}`);
  node.host = host;
  const plain = (...args: string[]) => execFileSync(join(HOST_DIRS[host], "pulumi"), [...args, "--non-interactive"], { cwd: node.projectDir, encoding: "utf8", env: node.cleanEnv(), stdio: ["pipe", "pipe", "pipe"] });
  afterAll(() => node.cleanup());

  it("stack init, config set, preview, up, stack output, refresh, preview with no changes, destroy", async () => {
    plain("stack", "init", node.stack, "--secrets-provider", "passphrase");
    plain("config", "set", "--plaintext", "--path", "edge-security:secretsRoot", node.secretsRoot, "--stack", node.stack);
    plain("config", "set", "--path", "edge-security:services[0].name", "svc-a", "--stack", node.stack);
    const preview = expectOk(await node.cli("preview", [], {}, { clean: true, children: true }));
    expect(languageHostOf(preview), preview.children?.join("\n")).toBe(host);
    expect(changedNames(preview)).toEqual(expect.arrayContaining(["svc-a-cert", "svc-a-ready"]));
    expectOk(await node.cli("up", [], {}, { clean: true }));
    expect(openssl("verify", "-CAfile", join(node.secretsRoot, "ca.pem"), join(node.secretsRoot, "svc-a", "cert.pem"))).toContain(": OK");
    expect(plain("stack", "output", "--json", "--stack", node.stack)).toContain(join(node.secretsRoot, "svc-a", "cert.pem"));
    rmSync(join(node.secretsRoot, "svc-a", "key.pem"));
    expectOk(await node.cli("refresh", [], {}, { clean: true }));
    expect(node.stateOutputs("svc-a-cert").files).toBe("missing");
    expect(changedNames(expectOk(await node.cli("up", [], {}, { clean: true })))).toEqual(["svc-a-cert", "svc-a-ready"]);
    expect(expectOk(await node.cli("preview", ["--expect-no-changes"], {}, { clean: true })).steps).toEqual([]);
    expectOk(await node.cli("destroy", [], {}, { clean: true }));
    expect(existsSync(join(node.secretsRoot, "svc-a"))).toBe(false);
  });
});
