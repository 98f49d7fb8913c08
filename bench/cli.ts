// Benchmark (not a test): the node program as a Pulumi user runs it (`pulumi up` / `pulumi preview` typed in the
// project folder, through the language host) against a floor measured in the same run: the same number of
// do-nothing dynamic resources through the same CLI (bench/floor). Also the plain-script figure: the same PKI
// work (CA + one key and certificate per service written to disk) with no Pulumi at all. And a floor carrying the
// node's own state (bench/floor/same-state.ts): what the engine charges for that state, whatever code makes it.
//   BENCH_SIZES=20,200 (services)
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { PROJECT_ROOT, TestNode } from "../test/support/harness";
import { FLOOR_COLUMNS, floorCells, floorNode, markdownTable, PREVIEW_RUNS, run, SAME_STATE_COLUMNS, sameStateCells, sameStateFloorNode, serviceNames, sizes, upAndPreview } from "./measure";

/** The same PKI work as a plain script: a CA, then a key and certificate per service written to its folder. */
function plainPki(n: number): number {
  const dir = mkdtempSync(join(tmpdir(), "bench-plain-"));
  const script = `
    const pki = require("@edge-security/clients/pki");
    const { writeServiceCertificate } = require("@edge-security/clients/service-dir");
    (async () => {
      const ca = await pki.createSelfSignedCa({ commonName: "ca", keyType: "ec-p384", lifetimeDays: 3650 });
      for (let i = 0; i < ${n}; i++) {
        const name = "svc-" + i;
        const c = await pki.issueServiceCertificate({ caCertPem: ca.certPem, caKeyPem: ca.keyPem, commonName: name, dnsNames: [name, "localhost"], ipAddresses: ["127.0.0.1"], keyType: "ec-p256", lifetimeDays: 365 });
        await writeServiceCertificate(${JSON.stringify(dir)} + "/" + name, { trustBundlePem: ca.certPem, certPem: c.certPem, keyPem: c.keyPem }, {});
      }
    })().catch((e) => { console.error(e); process.exit(1); });`;
  const start = performance.now();
  execFileSync(process.execPath, ["--require", require.resolve("tsx/cjs"), "-e", script], { cwd: PROJECT_ROOT, stdio: "inherit" });
  const seconds = (performance.now() - start) / 1000;
  rmSync(dir, { recursive: true, force: true });
  return seconds;
}

run(async () => {
  const rows: string[][] = [];
  const tradeOff: string[] = [];
  for (const n of sizes("BENCH_SIZES", "20,200")) {
    const node = new TestNode(`bench-${n}`);
    let floor: TestNode | undefined;
    let sameState: TestNode | undefined;
    try {
      node.configure({ services: serviceNames(n).map((name) => ({ name })) });
      const real = await upAndPreview(node);
      const stateBytes = Buffer.byteLength(node.exportState());
      // The floor has as many resources as the node program created, the stack itself included.
      floor = floorNode(real.resources - 1);
      const base = await upAndPreview(floor);
      sameState = sameStateFloorNode(node);
      const same = await upAndPreview(sameState);
      const sameStateBytes = Buffer.byteLength(sameState.exportState());
      const plain = plainPki(n);
      // The checkpoint trade-off, measured, not taken: without intermediate checkpoints the file backend writes
      // the state once at the end, and a run killed midway would forget what it had already created.
      const unsafe = new TestNode(`bench-nockpt-${n}`);
      let noCheckpoints: number;
      try {
        unsafe.configure({ services: serviceNames(n).map((name) => ({ name })) });
        noCheckpoints = (await upAndPreview(unsafe, { PULUMI_SKIP_CHECKPOINTS: "true" })).up;
      } finally {
        unsafe.cleanup();
      }
      tradeOff.push(`| ${n} | ${real.up.toFixed(1)} | ${noCheckpoints.toFixed(1)} |`);
      console.log(`measured ${n} services (load average ${loadavg()[0].toFixed(1)})`);
      rows.push([String(n), ...floorCells(n, real, base, stateBytes), plain.toFixed(1), ...sameStateCells(n, real, same, sameStateBytes)]);
    } finally {
      node.cleanup();
      floor?.cleanup();
      sameState?.cleanup();
    }
  }
  console.log(
    [
      `PKI through \`pulumi up\`/\`pulumi preview\` against the floor (no-op preview: median of ${PREVIEW_RUNS} runs; load average ${loadavg().map((l) => l.toFixed(1)).join(" ")}):`,
      ...markdownTable(["services", ...FLOOR_COLUMNS, "plain script (s)", ...SAME_STATE_COLUMNS], rows),
      "",
      "Not taken: cold up without intermediate checkpoints (PULUMI_SKIP_CHECKPOINTS=true):",
      "| services | up (s) | up without checkpoints (s) |",
      "|---|---|---|",
      ...tradeOff,
    ].join("\n"),
  );
});
