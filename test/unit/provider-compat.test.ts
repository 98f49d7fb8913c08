// State compatibility, the static half: the provider code recorded from each release (test/fixtures/provider-code)
// still finds every client entry point it uses, with the arguments it passes; and every provider, recorded or
// current, has a `diff` (without one, a changed provider silently rewrites the resource's outputs).
// The dynamic half (refresh, preview, destroy of a real stack running the recorded code) is
// test/integration/state-compat.test.ts.
import Module from "node:module";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { compatProblems, loadProvider, PROJECT_ROOT, providerSourceFiles, providerTypeTokens, recordedReleases, requiredClientModules, serializedProviders } from "../fixtures/provider-code";

const { register } = Module.createRequire(__filename)("tsx/cjs/api") as { register(): () => void };
const requireFromProject = Module.createRequire(join(PROJECT_ROOT, "__dynamic_provider__.js"));

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
          // Not vacuous: every provider but EtcdRootPassword (node:crypto only) requires a client.
          if (short !== "EtcdRootPassword") expect(requiredClientModules(code).length, short).toBeGreaterThan(0);
          expect(compatProblems(code, requireFromProject), short).toEqual([]);
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

describe("the compatibility check itself", () => {
  // Recorded code as the serializer writes it (esbuild output: `const x=require(...)`), against stand-in clients.
  const code = 'async function f(p){const store=require("@edge-security/clients/secret-store");const{KEY_TYPES}=require("@edge-security/clients/pki");' +
    'await store.unseal(p,["a","b"].map((k)=>k));if(!KEY_TYPES.includes(p.k))throw new store.SecretStoreError(`bad ${p.k}, really`)}' +
    'function g(e){return e instanceof require("@edge-security/clients/pki").PkiError}';
  const clients = (overrides: Record<string, Record<string, unknown>>) => (m: string) => {
    if (!(m in overrides)) throw new Error(`Cannot find module ${m}`);
    return overrides[m];
  };
  const good = { "@edge-security/clients/secret-store": { unseal: (_e: unknown, _k: unknown) => undefined, SecretStoreError: class extends Error {} }, "@edge-security/clients/pki": { KEY_TYPES: ["ec-p256"], PkiError: class extends Error {} } };

  it("passes clients that still offer everything the code uses", () => {
    expect(compatProblems(code, clients(good))).toEqual([]);
  });

  it("fails a module that no longer resolves, a member gone or no longer a function, a new required argument", () => {
    expect(compatProblems(code, clients({ "@edge-security/clients/secret-store": good["@edge-security/clients/secret-store"] }))).toEqual(["@edge-security/clients/pki does not resolve"]);
    expect(compatProblems(code, clients({ ...good, "@edge-security/clients/secret-store": { SecretStoreError: Error } }))).toEqual(["secret-store.unseal is gone"]);
    expect(compatProblems(code, clients({ ...good, "@edge-security/clients/secret-store": { unseal: () => undefined, SecretStoreError: "x" } }))).toEqual(["secret-store.SecretStoreError is no longer a function"]);
    expect(compatProblems(code, clients({ ...good, "@edge-security/clients/secret-store": { ...good["@edge-security/clients/secret-store"], unseal: (_e: unknown, _k: unknown, _now: unknown) => undefined } }))).toEqual([
      "secret-store.unseal is called with 2 arguments and now requires 3",
    ]);
    expect(compatProblems(code, clients({ ...good, "@edge-security/clients/pki": {} }))).toEqual(["pki.KEY_TYPES is gone", "pki.PkiError is gone"]);
    expect(compatProblems(code, clients({ ...good, "@edge-security/clients/pki": { KEY_TYPES: [], PkiError: {} } }))).toEqual(["pki.PkiError is no longer a function"]);
  });
});

describe("current providers", { timeout: 120_000 }, () => {
  it("every dynamic resource under components/ declares a diff in its provider object", () => {
    const files = providerSourceFiles();
    expect(files.length).toBeGreaterThanOrEqual(15);
    for (const f of files) expect(readFileSync(f, "utf8"), f).toMatch(/^\s*(async\s+)?diff\s*\(|^\s*diff\s*:/m);
  });

  it("every provider the node registers loads from its serialized form and has a diff", async () => {
    const unregister = register();
    try {
      const current = await serializedProviders();
      // Every provider under components/ that the recording graph covers; the graph must cover those of earlier releases.
      for (const r of releases) for (const type of Object.keys(r.providers)) if (providerTypeTokens().includes(type)) expect(Object.keys(current), `${type} (recorded in ${r.release})`).toContain(type);
      for (const [type, code] of Object.entries(current)) expect(typeof loadProvider(code).diff, type).toBe("function");
    } finally {
      unregister();
    }
  });
});
