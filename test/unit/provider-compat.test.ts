// State compatibility, the static half: the provider code recorded from each release (test/fixtures/provider-code)
// still finds every client entry point it uses, with the arguments it passes; and every provider, recorded or
// current, has a `diff` (without one, a changed provider silently rewrites the resource's outputs).
// The dynamic half (refresh, preview, destroy of a real stack running the recorded code) is
// test/integration/state-compat.test.ts.
import Module from "node:module";
import { readFileSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { compatProblems, loadProvider, PROJECT_ROOT, providerSourceFiles, providerTypeTokens, recordedReleases, requiredClientModules, serializedProviders, thinForwarding } from "../fixtures/provider-code";

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

describe("the compatibility check of thin providers", () => {
  // As the serializer writes a thin provider (components/shared/dynamic-resource.ts), shortened.
  const thin = 'var __provider = {create: __f1, diff: __f3};\nwith({ subpath: "@edge-security/clients/providers/pki/x", this: undefined }) {\nreturn (method, args) => require(subpath).provider[method](...args);\n}\n' +
    'with({ call: __f2 }) {\nreturn (...a) => call("create", a);\n}\nwith({ call: __f2 }) {\nreturn (...a) => call("diff", a);\n}\n';
  const load = (exports: Record<string, unknown> | undefined) => (m: string) => {
    if (m !== "@edge-security/clients/providers/pki/x" || !exports) throw new Error(`Cannot find module ${m}`);
    return exports;
  };

  it("finds the implementation module and the methods the stubs forward", () => {
    expect(thinForwarding(thin)).toEqual({ module: "@edge-security/clients/providers/pki/x", methods: ["create", "diff"] });
    expect(requiredClientModules(thin)).toEqual(["@edge-security/clients/providers/pki/x"]);
    expect(compatProblems(thin, load({ provider: { create: (_i: unknown) => 0, diff: (_a: unknown, _b: unknown, _c: unknown) => 0 } }))).toEqual([]);
  });

  it("reads the one-line form: the module named, no fixed methods; fails a provider without diff or a method wanting more than the host passes", () => {
    const line = 'exports.handler = () => require("@edge-security/clients/providers/pki/x").provider;\n';
    expect(thinForwarding(line)).toEqual({ module: "@edge-security/clients/providers/pki/x" });
    expect(requiredClientModules(line)).toEqual(["@edge-security/clients/providers/pki/x"]);
    expect(compatProblems(line, load({ provider: { create: (_i: unknown) => 0, diff: (_a: unknown, _b: unknown, _c: unknown) => 0 } }))).toEqual([]);
    expect(compatProblems(line, load({ provider: { create: (_i: unknown) => 0 } }))).toEqual(["x.provider.diff is gone"]);
    expect(compatProblems(line, load({ provider: { diff: () => 0, read: (_a: unknown, _b: unknown, _c: unknown) => 0 } }))).toEqual(["x.provider.read is called with 2 arguments and now requires 3"]);
    expect(compatProblems(line, load({}))).toEqual(["x.provider is gone"]);
  });

  it("fails a module gone, a provider export gone, a forwarded method gone, a method wanting more than the host passes", () => {
    expect(compatProblems(thin, load(undefined))).toEqual(["@edge-security/clients/providers/pki/x does not resolve"]);
    expect(compatProblems(thin, load({}))).toEqual(["x.provider is gone"]);
    expect(compatProblems(thin, load({ provider: { create: () => 0 } }))).toEqual(["x.provider.diff is gone"]);
    expect(compatProblems(thin, load({ provider: { create: (_i: unknown, _extra: unknown) => 0, diff: () => 0 } }))).toEqual(["x.provider.create is called with 1 arguments and now requires 2"]);
  });
});

describe("current providers", { timeout: 120_000 }, () => {
  it("every dynamic resource under components/ has its implementation beside it, with a diff, and forwards to it by its own path", () => {
    const files = providerSourceFiles();
    expect(files.length).toBeGreaterThanOrEqual(15);
    for (const f of files) {
      const implementation = f.replace(/\.ts$/, ".provider.ts");
      expect(readFileSync(implementation, "utf8"), implementation).toMatch(/^\s*(async\s+)?diff\s*\(|^\s*diff\s*:/m);
      const path = relative(join(PROJECT_ROOT, "components"), f).replace(/\.ts$/, "");
      expect(readFileSync(f, "utf8"), f).toMatch(new RegExp(`extends ThinResource[^]*thinProvider\\("${path}"\\)`));
    }
  });

  it("every provider the node registers loads from its serialized form and has a diff", async () => {
    const unregister = register();
    try {
      const current = await serializedProviders();
      // Every provider under components/ that the recording graph covers; the graph must cover those of earlier releases.
      for (const r of releases) for (const type of Object.keys(r.providers)) if (providerTypeTokens().includes(type)) expect(Object.keys(current), `${type} (recorded in ${r.release})`).toContain(type);
      for (const [type, code] of Object.entries(current)) {
        expect(typeof loadProvider(code).diff, type).toBe("function");
        // States written by this release call these implementation modules by name: the same static check as for
        // the recorded releases' clients (thin: the module, its `provider`, every method the stubs forward).
        // One line naming the module (the host takes its methods as they are; compatProblems wants a diff).
        expect(thinForwarding(code), type).toEqual({ module: expect.stringMatching(/^@edge-security\/clients\/providers\//) });
        expect(compatProblems(code, requireFromProject), type).toEqual([]);
      }
    } finally {
      unregister();
    }
  });
});
