// State compatibility, the static half: the provider code recorded from each release (test/fixtures/provider-code)
// still finds every client entry point it uses, with the arguments it passes; and every provider, recorded or
// current, has a `diff` (without one, a changed provider silently rewrites the resource's outputs).
// The dynamic half (refresh, preview, destroy of a real stack running the recorded code) is
// test/integration/state-compat.test.ts.
import Module from "node:module";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { clientCalls, loadProvider, PROJECT_ROOT, providerTypeTokens, recordedReleases, requiredClientModules, serializedProviders } from "../fixtures/provider-code";

const { register } = Module.createRequire(__filename)("tsx/cjs/api") as { register(): () => void };
const requireFromProject = Module.createRequire(join(PROJECT_ROOT, "__dynamic_provider__.js"));

/** The argument count of each call `name.member(...)` in the code (top-level commas, strings skipped). */
function argumentCounts(code: string, name: string, member: string): number[] {
  const counts: number[] = [];
  for (const m of code.matchAll(new RegExp(`(?<![\\w$.])${name}\\.${member}\\s*\\(`, "g"))) {
    let depth = 0;
    let args = 0;
    let empty = true;
    for (let i = m.index! + m[0].length; i < code.length; i++) {
      const c = code[i];
      if (c === '"' || c === "'" || c === "`") {
        for (i++; i < code.length && code[i] !== c; i++) if (code[i] === "\\") i++;
        empty = false;
        continue;
      }
      if (c === "(" || c === "[" || c === "{") depth++;
      else if (c === ")" || c === "]" || c === "}") {
        if (depth === 0) break;
        depth--;
      } else if (c === "," && depth === 0) args++;
      if (!/\s/.test(c)) empty = false;
    }
    counts.push(empty ? 0 : args + 1);
  }
  return counts;
}

const releases = recordedReleases();
/**
 * Providers a recorded release shipped without a diff: the recording cannot be changed, so the gap is named here.
 * The engine calls the diff of the code the new program sends, so the current code's diff covers these stacks
 * from their next `up` on (test/integration/state-compat.test.ts upgrades such a stack and checks the outputs).
 */
const RELEASED_WITHOUT_DIFF: Record<string, string[]> = { "0.1.0-a79c956": ["EtcdRootPassword"] };

describe("recorded provider code of earlier releases", () => {
  it("has at least one recorded release, covering every provider that release had", () => {
    expect(releases.length).toBeGreaterThan(0);
    // The first recording (0.1.0) had these 15 providers: a recording can only grow.
    for (const r of releases) expect(Object.keys(r.providers).length, r.release).toBeGreaterThanOrEqual(15);
  });

  beforeAll(() => register());

  for (const release of releases) {
    describe(release.release, () => {
      for (const [type, code] of Object.entries(release.providers)) {
        const short = type.split(":").pop()!;
        it(`${short}: every client module it requires resolves, and every member it uses exists with the arguments it passes`, () => {
          const modules = requiredClientModules(code);
          for (const module of modules) expect(() => requireFromProject.resolve(module), `${short} requires ${module}`).not.toThrow();
          for (const call of clientCalls(code)) {
            const exported = requireFromProject(call.module)[call.member];
            const where = `${short}: ${call.module} ${call.member} (${call.use})`;
            if (call.use === "read") {
              expect(exported, where).not.toBeUndefined();
              continue;
            }
            expect(typeof exported, where).toBe("function");
            if (call.use !== "call") continue;
            // A new required parameter would break the recorded callers: each call passes at least fn.length.
            const bound = /(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*=\s*require\(\s*"([^"]+)"\s*\)/g;
            for (const m of code.matchAll(bound)) {
              if (m[2] !== call.module) continue;
              for (const n of argumentCounts(code, m[1], call.member)) expect(n, `${where}: a call passes ${n} arguments, it needs ${exported.length}`).toBeGreaterThanOrEqual(exported.length);
            }
          }
        });

        it(`${short}: loads as the provider host loads it, and has a diff (or is a known gap of that release)`, () => {
          const provider = loadProvider(code);
          expect(typeof provider.diff, short).toBe(RELEASED_WITHOUT_DIFF[release.release]?.includes(short) ? "undefined" : "function");
          expect(typeof provider.create, short).toBe("function");
        });
      }
    });
  }
});

describe("current providers", { timeout: 120_000 }, () => {
  it("every dynamic resource in providers/ declares a diff in its provider object", () => {
    const dir = join(PROJECT_ROOT, "providers");
    const files = readdirSync(dir).filter((f) => f.endsWith(".ts") && /extends pulumi\.dynamic\.Resource\b/.test(readFileSync(join(dir, f), "utf8")));
    expect(files.length).toBeGreaterThanOrEqual(15);
    for (const f of files) expect(readFileSync(join(dir, f), "utf8"), f).toMatch(/^\s*(async\s+)?diff\s*\(|^\s*diff\s*:/m);
  });

  it("every provider the node registers loads from its serialized form and has a diff", async () => {
    const unregister = register();
    try {
      const current = await serializedProviders();
      // Every provider of providers/ that the recording graph covers; the graph must cover those of earlier releases.
      for (const r of releases) for (const type of Object.keys(r.providers)) if (providerTypeTokens().includes(type)) expect(Object.keys(current), `${type} (recorded in ${r.release})`).toContain(type);
      for (const [type, code] of Object.entries(current)) expect(typeof loadProvider(code).diff, type).toBe("function");
    } finally {
      unregister();
    }
  });
});
