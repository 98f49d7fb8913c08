import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { configDigest, convergedNodes, Journal, journalDir, readJournal, writeJournal } from "./journal";

describe("fleet journal", () => {
  const root = mkdtempSync(join(tmpdir(), "fleet-journal-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const journal = (nodes: Journal["nodes"], command: Journal["command"] = "up"): Journal => ({ version: 1, runId: "r1", command, projectDir: "/p", pid: 1, startedAt: "t", nodes });

  it("is written whole, 0600, under one folder per project, and read back", () => {
    const dir = journalDir(join(root, "state"), "/projects/a");
    expect(dir).toMatch(/state\/fleet\/[0-9a-f]{12}$/);
    expect(journalDir(join(root, "state"), "/projects/b")).not.toBe(dir);
    expect(readJournal(dir)).toBeUndefined();
    const j = journal({ n1: { state: "ok", configDigest: "d1" } });
    writeJournal(dir, j);
    expect(readJournal(dir)).toEqual(j);
    expect(statSync(join(dir, "journal.json")).mode & 0o777).toBe(0o600);
    writeFileSync(join(dir, "journal.json"), "{");
    expect(() => readJournal(dir)).toThrow(/journal\.json: not a fleet journal .*move it aside/);
  });

  it("skips on resume only nodes that converged with the same config file, for the same command", () => {
    const prev = journal({
      ok: { state: "ok", configDigest: "same" },
      changed: { state: "ok", configDigest: "old" },
      failed: { state: "failed", error: "x" },
      running: { state: "running" },
      earlier: { state: "skipped", configDigest: "same", convergedIn: "r0" },
    });
    const digest = (s: string) => (s === "changed" ? "new" : "same");
    const skip = convergedNodes(prev, "up", ["ok", "changed", "failed", "running", "earlier", "new-node"], digest);
    expect([...skip]).toEqual([
      ["ok", "r1"],
      ["earlier", "r0"],
    ]);
    expect(convergedNodes(prev, "preview", ["ok"], digest).size).toBe(0);
  });

  it("digests a config file's bytes", () => {
    const f = join(root, "Pulumi.n.yaml");
    writeFileSync(f, "config: {}\n");
    const a = configDigest(f);
    writeFileSync(f, "config: {} \n");
    expect(configDigest(f)).not.toBe(a);
    expect(configDigest(join(root, "missing"))).toBe("");
  });
});
