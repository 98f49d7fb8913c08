// The fleet command for real: many PKI-only node stacks in one temp project, driven by bin/fleet.ts (Automation
// API -> the real CLI), results checked with openssl and the processes table.
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { markedProcesses } from "../../bin/run-processes";
import { byStack, FleetProject, FleetResult, maxRunningAtOnce, parseReport } from "../support/fleet-project";
import { openssl } from "../support/harness";

const NODES = Array.from({ length: 10 }, (_, i) => `node-${String(i + 1).padStart(2, "0")}`);
const services = (stack: string) => [{ name: "svc-a", hostnames: [`a.${stack}.edge.local`] }, { name: "svc-b" }];
const serialOf = (cert: string) => openssl("x509", "-in", cert, "-noout", "-serial").trim();
const describeResult = (r: FleetResult) => `status ${r.status}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

describe("fleet command over 10 node stacks", { timeout: 1_800_000 }, () => {
  const fleet = new FleetProject();
  let up: FleetResult;

  beforeAll(async () => {
    for (const stack of NODES) fleet.addNode(stack, { services: services(stack) });
    // A node whose config is wrong: it must fail alone, with the program's one-line error.
    fleet.addNode("broken", { services: [{ name: "svc-a", keyType: "rsa-1024" }] });
    up = await fleet.run(["up", "--all", "--concurrency", "2", "--json"]);
  }, 1_800_000);
  afterAll(() => fleet.cleanup());

  it("converges every good node, at most two at a time, each with its own CA under its own secrets root", () => {
    const report = up.report;
    expect(report, describeResult(up)).toBeDefined();
    const nodes = byStack(report!);
    expect(Object.keys(nodes).sort()).toEqual(["broken", ...NODES].sort());
    const cas = new Set<string>();
    for (const stack of NODES) {
      expect(nodes[stack].result, `${stack}: ${nodes[stack].error}`).toBe("ok");
      // The CA and two services, each a certificate + files: the engine created them all.
      expect(nodes[stack].changes?.create).toBeGreaterThanOrEqual(3);
      const root = fleet.secretsRoot(stack);
      for (const svc of ["svc-a", "svc-b"]) {
        expect(openssl("verify", "-CAfile", join(root, "ca.pem"), join(root, svc, "cert.pem"))).toContain(": OK");
        expect(statSync(join(root, svc, "key.pem")).mode & 0o777).toBe(0o600);
      }
      expect(openssl("x509", "-in", join(root, "svc-a", "cert.pem"), "-noout", "-ext", "subjectAltName")).toContain(`DNS:a.${stack}.edge.local`);
      cas.add(readFileSync(join(root, "ca.pem"), "utf8"));
    }
    // Nodes run side by side: no node's program saw another node's config.
    expect(cas.size).toBe(NODES.length);
    expect(maxRunningAtOnce(up.stderr)).toBe(2);
  });

  it("fails the broken node with its one-line error in the summary, and exits non-zero naming it", () => {
    expect(up.status, describeResult(up)).toBe(1);
    const broken = byStack(up.report!).broken;
    expect(broken.result).toBe("failed");
    expect(broken.error).toMatch(/^edge-security:services\[0\]\.keyType: must be one of [a-z0-9-]+(, [a-z0-9-]+)+$/);
    expect(up.stderr).toContain(`fleet: failed: broken: ${broken.error}\n`);
    expect(up.stderr).toMatch(/fleet: 1 of 11 node\(s\) failed: broken \(full output of each: .*\)\n/);
    // The full CLI output of each node went to its log file, not to the terminal.
    expect(readFileSync(join(up.report!.logs, "broken.log"), "utf8")).toContain("keyType");
    expect(up.stderr).not.toContain("Updating (");
  });

  it("previews no change on any converged node", async () => {
    const preview = await fleet.run(["preview", "--stacks", NODES.join(","), "--json"]);
    expect(preview.status, describeResult(preview)).toBe(0);
    for (const node of preview.report!.nodes) {
      expect(node.changeCount, node.stack).toBe(0);
      // Not vacuous: the engine stepped through every resource of the node and found each the same.
      expect(node.changes?.same, node.stack).toBeGreaterThanOrEqual(7);
    }
  });

  it("refuses bad input before touching any stack, in one line", async () => {
    const missing = await fleet.run(["up", "--stacks", "node-01,nope"]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toBe("fleet: --stacks: nope has no stack config file (" + join(fleet.projectDir, "stacks", "Pulumi.nope.yaml") + ")\n");
    const mismatch = await fleet.run(["refresh", "--all", "--resume"]);
    expect(mismatch.status).toBe(2);
    expect(mismatch.stderr).toMatch(/^fleet: --resume: the earlier run \(.*\) was `preview`, not `refresh`\n$/);
  });

  it("stops cleanly on SIGTERM, leaves no process behind, and --resume skips the nodes that converged", async () => {
    const fresh = ["r-1", "r-2", "r-3", "r-4"];
    for (const stack of fresh) fleet.addNode(stack, { services: services(stack) });
    const child = fleet.spawn(["up", "--stacks", fresh.join(","), "--concurrency", "1", "--json"]);
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d) => (stdout += d));
    const exited = new Promise<number>((done) => child.on("exit", (code, signal) => done(code ?? (signal ? -1 : 0))));
    // Interrupt while the second node runs: the first has converged, the last two have not started. One signal
    // only: a second one would kill the running node's processes at once (and leave its stack locked).
    let sent = false;
    await new Promise<void>((signalled) =>
      child.stderr!.on("data", (d) => {
        stderr += d;
        if (!sent && /^r-2 +running/m.test(stderr)) {
          sent = true;
          child.kill("SIGTERM");
          signalled();
        }
      }),
    );
    const status = await exited;
    expect(status, `${stdout}\n${stderr}`).toBe(143);
    const first = parseReport(stdout)!;
    expect(first.outcome).toBe("interrupted");
    const nodes = byStack(first);
    expect(nodes["r-1"].result).toBe("ok");
    expect(["ok", "cancelled"]).toContain(nodes["r-2"].result);
    expect([nodes["r-3"].result, nodes["r-4"].result]).toEqual(["not started", "not started"]);
    expect(stderr).toMatch(/fleet: stopped by SIGTERM: \d node\(s\) did not finish; run the same command with --resume/);
    // Nothing of the run outlives it (the provider hosts sit in process groups of their own).
    for (const stack of fresh) expect(markedProcesses((id) => id.startsWith(`${fleet.runMarker(stack)}:`))).toEqual([]);
    const converged = fresh.filter((s) => nodes[s].result === "ok");
    const serialsBefore = converged.map((s) => serialOf(join(fleet.secretsRoot(s), "svc-a", "cert.pem")));

    const resumed = await fleet.run(["up", "--stacks", fresh.join(","), "--resume", "--json"]);
    expect(resumed.status, describeResult(resumed)).toBe(0);
    const after = byStack(resumed.report!);
    for (const s of converged) expect(after[s]).toMatchObject({ result: "skipped", convergedIn: first.runId });
    for (const s of fresh.filter((x) => !converged.includes(x))) expect(after[s].result, `${s}: ${after[s].error}`).toBe("ok");
    expect(converged.map((s) => serialOf(join(fleet.secretsRoot(s), "svc-a", "cert.pem")))).toEqual(serialsBefore);
    // A cancelled node's stack was left unlocked (the CLI cancelled the CLI's way), so its re-run went through.
    for (const s of fresh) expect(openssl("verify", "-CAfile", join(fleet.secretsRoot(s), "ca.pem"), join(fleet.secretsRoot(s), "svc-b", "cert.pem"))).toContain(": OK");

    // Resuming the finished run again skips everything; changing a node's config makes it run again.
    fleet.addNode("r-4", { services: [...services("r-4"), { name: "svc-c" }] });
    // Without --json: the summary table on stdout.
    const again = await fleet.run(["up", "--stacks", fresh.join(","), "--resume"]);
    expect(again.status, describeResult(again)).toBe(0);
    const table = again.stdout.trim().split("\n");
    expect(table[0]).toMatch(/^node +result +changes +duration$/);
    expect(table.slice(2).map((l) => l.split(/ {2,}/).slice(0, 3))).toEqual([
      ["r-1", "skipped", "(converged earlier)"],
      ["r-2", "skipped", "(converged earlier)"],
      ["r-3", "skipped", "(converged earlier)"],
      ["r-4", "ok", expect.stringMatching(/^create \d+/)],
    ]);
  });
});
