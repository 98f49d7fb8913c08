// The org stack and its connected node stacks in one shared state backend (issue 26): Pulumi's postgres:// backend on
// a private loopback PostgreSQL (TLS verify-full against its own CA, scram, the password in a PGPASSFILE only;
// test/support/state-backend-server.ts). The org stack is typed with the real CLI (`pulumi up --stack org`), the
// nodes run through the fleet command, and each side reads the other through a StackReference in that backend. Each
// side keeps its own passphrase, as docs/fleet.md tells an operator to. Results are checked with openssl, psql and
// `pulumi stack export`.
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FleetProject, FleetResult } from "../support/fleet-project";
import { changedNames, expectOk, openssl, RunResult, TestNode } from "../support/harness";
import { sql } from "../support/postgres-server";
import { StateBackendServer, stateObjectText } from "../support/state-backend-server";

const DB = "org_state";
const NODES = ["n-1", "n-2"];
const nodeConfig = (stack: string) => ({
  pki: { ca: { source: "org", org: { stack: "org" } } },
  services: [{ name: "svc", hostnames: [`svc.${stack}.example`] }],
});
const orgConfig = (nodes: string[]) => ({
  role: "org",
  org: { root: {}, nodes: nodes.map((name) => ({ name, stack: name, permittedDns: [`${name}.example`, "localhost"], permittedIps: ["127.0.0.0/8"] })) },
});

/** Every PEM private key in a text (a decrypted state export, where they sit JSON-escaped), as its bare base64 body. */
function privateKeyBodies(text: string): string[] {
  return [...text.matchAll(/-----BEGIN [A-Z ]*PRIVATE KEY-----(.*?)-----END [A-Z ]*PRIVATE KEY-----/gs)].map((m) => m[1].replace(/\\n|\s/g, ""));
}

describe("the org stack and connected node stacks in a shared PostgreSQL state backend", { timeout: 1_200_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), "edge-org-shared-"));
  chmodSync(root, 0o755);
  const server = new StateBackendServer(root);
  let fleet: FleetProject;
  let org: TestNode;
  /** Handles on the node stacks for `stack output` / `stack export`, with the nodes' passphrase (not the org's). */
  let nodes: TestNode[] = [];
  /** Everything the CLI and the fleet printed: the backend's password must be in none of it. */
  const printed: string[] = [];
  const keep = <T extends RunResult | FleetResult>(r: T): T => (printed.push(r.stdout, r.stderr), r);
  /** Process arguments and environments that held the backend's password, sampled while the stacks run. */
  const leakedInto: string[] = [];
  let sampler: NodeJS.Timeout | undefined;

  beforeAll(async () => {
    await server.start();
    await server.createDatabase(DB);
    fleet = new FleetProject();
    fleet.backendEnv = server.env(DB);
    for (const stack of NODES) fleet.addNode(stack, nodeConfig(stack));
    // The org in the same project folder and backend, with its own passphrase (TestNode's, not the fleet's).
    org = new TestNode("org", fleet);
    org.backendEnv = server.env(DB);
    nodes = NODES.map((stack) => Object.assign(new TestNode(stack, fleet), { backendEnv: { ...server.env(DB), PULUMI_CONFIG_PASSPHRASE: fleet.env.PULUMI_CONFIG_PASSPHRASE! } }));
    // A process list is where a password in a URL or an argument shows: look at every process while the stacks run.
    sampler = setInterval(() => {
      for (const pid of readdirSync("/proc").filter((e) => /^\d+$/.test(e))) {
        for (const what of ["cmdline", "environ"]) {
          try {
            // The finding names the process, never the password (a failing test's output is a log too).
            if (readFileSync(`/proc/${pid}/${what}`).includes(server.statePassword)) leakedInto.push(`${pid} ${what}: ${readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ").replaceAll(server.statePassword, "<password>")}`);
          } catch {
            // gone meanwhile, or not ours to read
          }
        }
      }
    }, 1000);
    // The org first: a connected node stops in one line while its org stack does not exist in the backend.
    org.configure(orgConfig([]));
    keep(expectOk(await org.cli("up")));
  }, 300_000);
  afterAll(async () => {
    clearInterval(sampler);
    await server.stop();
    for (const n of [...nodes, org]) n?.cleanup();
    fleet?.cleanup();
    rmSync(root, { recursive: true, force: true });
  });

  it("nodes through the fleet, the org with the CLI: requests, signatures, service certificates chained to the org root", async () => {
    const first = keep(await fleet.run(["up", "--stacks", NODES.join(","), "--json"]));
    expect(first.status, first.stderr).toBe(0);
    for (const n of nodes) {
      expect(n.outputs().nodeCaRequests.g1).toContain("BEGIN CERTIFICATE REQUEST");
      expect(existsSync(join(fleet.secretsRoot(n.stack), "svc", "cert.pem"))).toBe(false);
    }

    org.configure(orgConfig(NODES));
    const signing = keep(expectOk(await org.cli("preview")));
    expect(changedNames(signing).filter((name) => name.startsWith("org-"))).toEqual(["org-n-1-g1", "org-n-2-g1"]);
    keep(expectOk(await org.cli("up")));
    const { roots, nodeCas } = org.outputs();

    // `--all` now that the org stack's config file is in the folder: the nodes only, the org left to its operator.
    const second = keep(await fleet.run(["up", "--all", "--json"]));
    expect(second.status, second.stderr).toBe(0);
    expect(second.report!.nodes.map((n) => n.stack)).toEqual(NODES);
    expect(second.stderr).toContain("fleet: --all leaves out the org stack(s) org (role org)");
    // The fleet reads the backend's password from the PGPASSFILE itself (node-postgres's own reading warns on every run).
    expect(second.stderr).not.toContain("DeprecationWarning");
    const status = await fleet.run(["status", "--json"]);
    expect(status.status, status.stderr).toBe(0);
    expect((JSON.parse(status.stdout) as { nodes: { stack: string }[] }).nodes.map((n) => n.stack)).toEqual(NODES);
    const rootFile = join(root, "org-root.pem");
    writeFileSync(rootFile, roots);
    for (const stack of NODES) {
      const nodeCa = join(root, `${stack}-ca.pem`);
      writeFileSync(nodeCa, nodeCas[stack].g1);
      const cert = join(fleet.secretsRoot(stack), "svc", "cert.pem");
      expect(openssl("verify", "-CAfile", rootFile, "-untrusted", nodeCa, cert)).toContain(": OK");
      // Issued under the org-signed node CA, not a self-signed one of the node's own.
      expect(openssl("x509", "-in", cert, "-noout", "-issuer")).toContain(`${stack} g1`);
    }
  });

  it("converged: a preview of the org stack and of every node plans no change", async () => {
    // --expect-no-changes: the CLI's own rule (a StackReference's read is not a change); non-zero otherwise.
    keep(expectOk(await org.cli("preview", ["--expect-no-changes"])));
    const preview = keep(await fleet.run(["preview", "--stacks", NODES.join(","), "--json"]));
    expect(preview.status, preview.stderr).toBe(0);
    // Counted as the CLI counts: the StackReference's read of the org is no change.
    for (const n of preview.report!.nodes) expect(Object.keys(n.changes!).filter((op) => op !== "same" && op !== "read"), n.stack).toEqual([]);
  });

  it("holds no private key in the clear anywhere in the backend's table, and the backend's password in no state, log or process", async () => {
    // The keys to look for, from the decrypted states: the root's (org) and each node CA's and service's (nodes).
    const orgKeys = privateKeyBodies(org.exportState({ showSecrets: true }));
    expect(orgKeys.length).toBeGreaterThanOrEqual(1);
    const keys = [...orgKeys, ...nodes.flatMap((n) => privateKeyBodies(n.exportState({ showSecrets: true })))];
    expect(keys.length).toBeGreaterThanOrEqual(1 + 2 * NODES.length);

    // Read as the server's admin: psql takes a password from its environment, and the sampler would (rightly) find the
    // state role's there.
    const owner = server.admin(DB);
    // Row by row: the history rows together outgrow what one psql answer may carry.
    const rowKeys = (await sql(owner, "SELECT key FROM pulumi_state ORDER BY key")).split("\n");
    const checkpoints = rowKeys.filter((k) => /\/\.pulumi\/stacks\/edge-security\/[^/]+\.json(\.zst)?$/.test(k));
    // The nodes' checkpoints compressed by the fleet's CLI (zstd, set by the runners for a shared backend); the org's
    // as the plain CLI writes it (no compression set here): both read back by StackReferences either way.
    expect(checkpoints.map((k) => k.split("/").pop()).sort()).toEqual(["n-1.json.zst", "n-2.json.zst", "org.json"]);
    for (const key of rowKeys) {
      const data = await sql(owner, `SELECT data->>'data' FROM pulumi_state WHERE key = '${key.replace(/'/g, "''")}'`);
      // Each object is stored base64 in a JSON document: decoded, it is what a file backend would hold.
      const text = stateObjectText(data).replace(/\\n|\s/g, "");
      // Booleans, not the text: a failure must not print the key it found.
      expect(/PRIVATEKEY-----/.test(text), `${key} holds a PEM private key in the clear`).toBe(false);
      expect(keys.filter((body) => text.includes(body)).length, `${key} holds a stack's private key in the clear`).toBe(0);
      expect(text.includes(server.statePassword), `${key} holds the backend's password`).toBe(false);
    }
    const orgCheckpoint = stateObjectText(await sql(owner, `SELECT data->>'data' FROM pulumi_state WHERE key LIKE '%/.pulumi/stacks/edge-security/org.json'`));
    expect(orgCheckpoint).toContain("ciphertext");

    // The whole database as its owner dumps it (the fleet's own tables too), through the PGPASSFILE.
    const dump = join(root, "dump.sql");
    execFileSync("pg_dump", ["-h", "127.0.0.1", "-p", String(server.port), "-U", server.stateRole, "-f", dump, `dbname=${DB} sslmode=verify-full sslrootcert=${server.caFile}`], { env: { ...process.env, PGPASSFILE: server.env(DB).PGPASSFILE }, stdio: ["ignore", "pipe", "pipe"] });
    expect(readFileSync(dump, "utf8")).toContain("edge_fleet_nodes");
    expect(readFileSync(dump, "utf8").includes(server.statePassword), "the database dump holds the backend's password").toBe(false);

    const logs = readdirSync(fleet.root, { recursive: true }).map(String).filter((f) => f.endsWith(".log"));
    expect(logs.length).toBeGreaterThanOrEqual(NODES.length);
    for (const f of logs) expect(readFileSync(join(fleet.root, f), "utf8").includes(server.statePassword), `${f} holds the backend's password`).toBe(false);
    expect(printed.length).toBeGreaterThan(0);
    expect(printed.filter((p) => p.includes(server.statePassword)).length, "outputs of the CLI and the fleet holding the backend's password").toBe(0);
    expect(leakedInto).toEqual([]);
  });
});
