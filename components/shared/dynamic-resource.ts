// The one way this project builds a dynamic provider: a THIN serialized provider that only forwards each call to
// an implementation module loaded by package name at run time.
//
// Why: Pulumi stores the serialized provider (`__provider`, the text of every method and what it captures) in
// each resource's state twice (inputs and outputs), and the file backend rewrites the whole state after every
// step. A provider whose methods carry their logic cost 0.6-8 KB per resource; a thin one costs only the
// forwarding stubs (measured in dynamic-resource.test.ts), whatever the logic grows to.
//
// Each resource is two files beside each other in its concern's folder:
//   <name>.ts            the resource class and its Args (what components import; loads no client)
//   <name>.provider.ts   `export const provider = implement<Inputs, Outputs>({ create, diff, ... })`, importing its
//                        clients at the top like any module: it is only loaded by the provider host (or a test)
// and the class passes `thinProvider("<concern>/<name>", [...its methods])` to `pulumi.dynamic.Resource`.
//
// STATE-COMPATIBILITY CONTRACT: states written by this code call, by name, for as long as such a state exists:
//   require("@edge-security/clients/providers/<concern>/<name>").provider.<method>(...the engine's arguments)
// so the subpath (components/package.json maps "./providers/*" to "./*.provider.ts"), the export `provider`
// and the methods it had (with the engine's argument lists) must keep working: never move or rename a
// *.provider.ts file, never drop a method from its `provider`. test/unit/provider-compat.test.ts checks every
// current serialized provider's subpath and methods statically, as it checks the recorded releases' clients.
//
// The live view (what `read` found, consulted by `diff`): new resources call it `live`, the name most providers
// use, with "intact" for nothing drifted. The older ones keep their output's name (`files`, `onDisk`, `drift`,
// `inStore`, `etcd`, `auth`): it is stored in every existing state and read by the code recorded there, so a
// rename would make those states look changed.
import * as pulumi from "@pulumi/pulumi";

/** A resource's provider logic, typed by its plain inputs and its outputs (what the state keeps). */
export interface ProviderImplementation<Inputs, Outputs> {
  check?(olds: Inputs, news: Inputs): Promise<pulumi.dynamic.CheckResult<Inputs>>;
  create(inputs: Inputs): Promise<pulumi.dynamic.CreateResult<Outputs>>;
  /** `props`: the outputs with the live view; `inputs` (optional) replaces the state's inputs for later diffs. */
  read?(id: string, props: Outputs): Promise<{ id?: string; props?: Outputs; inputs?: Inputs }>;
  /** Required: without a diff, a changed provider silently rewrites the resource's outputs. */
  diff(id: string, olds: Outputs, news: Inputs): Promise<pulumi.dynamic.DiffResult>;
  update?(id: string, olds: Outputs, news: Inputs): Promise<pulumi.dynamic.UpdateResult<Outputs>>;
  delete?(id: string, props: Outputs): Promise<void>;
}

export type ProviderMethod = keyof ProviderImplementation<unknown, unknown>;

/** Types an implementation (identity at run time). */
export function implement<Inputs, Outputs>(implementation: ProviderImplementation<Inputs, Outputs>): ProviderImplementation<Inputs, Outputs> {
  return implementation;
}

/** The package prefix every thin provider requires its implementation under (see the contract above). */
export const PROVIDERS_PACKAGE = "@edge-security/clients/providers/";

const cache = new Map<string, pulumi.dynamic.ResourceProvider>();

/**
 * The provider object to pass to `pulumi.dynamic.Resource` for the implementation at
 * `components/<path>.provider.ts` that has exactly `methods`. One object per path (Pulumi caches the
 * serialization per object). The serializer captures only the subpath string: each method is a stub naming
 * itself, the engine's arguments pass through unchanged.
 */
export function thinProvider(path: string, methods: readonly ProviderMethod[]): pulumi.dynamic.ResourceProvider {
  const known = cache.get(path);
  if (known) return known;
  const subpath = PROVIDERS_PACKAGE + path;
  // Loaded where the method runs (the provider host), never in the program: the program does not load clients.
  const call = (method: string, args: unknown[]) => require(subpath).provider[method](...args);
  // Stubs written out one by one: the serializer stores a function's source text, so each stub must name its
  // method literally (a generated closure would also capture the name, for more bytes).
  const stubs: Required<Record<ProviderMethod, (...args: never[]) => Promise<never>>> = {
    check: (...a) => call("check", a),
    create: (...a) => call("create", a),
    read: (...a) => call("read", a),
    diff: (...a) => call("diff", a),
    update: (...a) => call("update", a),
    delete: (...a) => call("delete", a),
  };
  // Only the methods the implementation has: the host treats a missing read/update/delete/check differently
  // from one that exists (e.g. no update means every change replaces).
  const provider = Object.fromEntries(methods.map((m) => [m, stubs[m]])) as unknown as pulumi.dynamic.ResourceProvider;
  cache.set(path, provider);
  return provider;
}

/**
 * The one comparison of inputs in `diff`: the keys whose canonical values differ between the state (`olds`) and
 * the program (`news`). Canonical: absent, null and "" are one value (no input of this project tells them apart,
 * and the releases so far compared some keys with `?? ""` and others with `?? null`, so either must stay "same");
 * objects compare by content with keys in sorted order (the state does not keep key order); everything else by
 * its JSON text (arrays in order, numbers and booleans by value). This never reports a change where any earlier
 * comparison of this project saw none, so an existing state does not look changed.
 */
export function changedKeys<O, N, K extends keyof O & keyof N & string>(olds: O, news: N, keys: readonly K[]): K[] {
  return keys.filter((k) => canonical(olds[k]) !== canonical(news[k]));
}

function canonical(value: unknown): string {
  return JSON.stringify(value === undefined || value === "" ? null : value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}
