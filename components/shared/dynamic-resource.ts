// The one way this project builds a dynamic resource: its stored provider (`__provider`) is ONE LINE that names
// the implementation module, loaded by package name in the provider host at run time:
//   exports.handler = () => require("@edge-security/clients/providers/<concern>/<name>").provider;
//
// Why: Pulumi stores `__provider` in each resource's state twice (inputs and outputs), and the file backend rewrites
// the whole state after every step, so its size is paid per resource per step. `pulumi.dynamic.Resource`
// serializes a provider object with Pulumi's closure serializer, about 170 bytes of wrapper per function: logic
// inline cost 0.6-8 KB per resource (release 0.1.0), forwarding stubs 1.2-1.8 KB (0.2.0). The line above is about
// 100 bytes, and it is what the host needs: it evaluates the text and calls `handler()` for the provider
// (@pulumi/pulumi cmd/dynamic-provider, the same for every release). ThinResource is `pulumi.dynamic.Resource`
// (a CustomResource of type `pulumi-nodejs:dynamic/<module>:<type>` with a `__provider` input) minus the
// serializer: same type tokens, same provider plugin.
//
// Each resource is two files beside each other in its concern's folder:
//   <name>.ts            the resource class (`extends ThinResource`) and its Args (what components import; loads no client)
//   <name>.provider.ts   `export const provider = implement<Inputs, Outputs>({ create, diff, ... })`, importing its
//                        clients at the top like any module: it is only loaded by the provider host (or a test)
// and the class passes `thinProvider("<concern>/<name>")` to ThinResource.
//
// STATE-COMPATIBILITY CONTRACT: states written by this code and by 0.2.0 (whose stubs call
// `require(<subpath>).provider[method](...)`) reach, by name, for as long as such a state exists:
//   require("@edge-security/clients/providers/<concern>/<name>").provider
// so the subpath (components/package.json maps "./providers/*" to "./*.provider.ts"), the export `provider` and
// its methods (with the engine's argument lists) must keep working: never move or rename a *.provider.ts file,
// never drop a method from its `provider` (a 0.2.0 stub forwards to it; in a one-line state the host sees the
// method gone, e.g. no update means every change replaces). test/unit/provider-compat.test.ts checks every current
// provider's subpath and methods statically, as it checks the recorded releases' clients.
//
// The live view (what `read` found, consulted by `diff`): new resources call it `live`, the name most providers
// use, with "intact" for nothing drifted. The older ones keep their output's name (`files`, `onDisk`, `drift`,
// `inStore`, `etcd`, `auth`): it is stored in every existing state and read by the code recorded there, so a
// rename would make those states look changed.
import type * as dynamic from "@pulumi/pulumi/dynamic";
import * as pulumi from "./pulumi";
import { sha256Hex } from "./files";

/** A resource's provider logic, typed by its plain inputs and its outputs (what the state keeps). */
export interface ProviderImplementation<Inputs, Outputs> {
  check?(olds: Inputs, news: Inputs): Promise<dynamic.CheckResult<Inputs>>;
  create(inputs: Inputs): Promise<dynamic.CreateResult<Outputs>>;
  /** `props`: the outputs with the live view; `inputs` (optional) replaces the state's inputs for later diffs. */
  read?(id: string, props: Outputs): Promise<{ id?: string; props?: Outputs; inputs?: Inputs }>;
  /** Required: without a diff, a changed provider silently rewrites the resource's outputs. */
  diff(id: string, olds: Outputs, news: Inputs): Promise<dynamic.DiffResult>;
  update?(id: string, olds: Outputs, news: Inputs): Promise<dynamic.UpdateResult<Outputs>>;
  delete?(id: string, props: Outputs): Promise<void>;
}

/** Types an implementation (identity at run time). */
export function implement<Inputs, Outputs>(implementation: ProviderImplementation<Inputs, Outputs>): ProviderImplementation<Inputs, Outputs> {
  return implementation;
}

/** The package prefix every thin provider requires its implementation under (see the contract above). */
export const PROVIDERS_PACKAGE = "@edge-security/clients/providers/";

/** What a ThinResource stores as its `__provider`: the one line naming its implementation module. */
export interface ThinProvider {
  readonly serialized: string;
}

/** The provider of the implementation at `components/<path>.provider.ts` (see the header). */
export function thinProvider(path: string): ThinProvider {
  return { serialized: `exports.handler = () => require(${JSON.stringify(PROVIDERS_PACKAGE + path)}).provider;\n` };
}

/**
 * A dynamic resource: what `pulumi.dynamic.Resource` registers (the same type token and `__provider` input, so the
 * same provider plugin runs it), with the one-line provider instead of a serialized object.
 */
export class ThinResource extends pulumi.CustomResource {
  constructor(provider: ThinProvider, name: string, props: pulumi.Inputs, opts: pulumi.CustomResourceOptions | undefined, module: string, type: string) {
    super(`pulumi-nodejs:dynamic/${module}:${type}`, name, { ...props, __provider: provider.serialized }, opts);
  }
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
  return keys.filter((k) => {
    // An output that keeps only the digest of this input (keepDigests) is compared by digest.
    const digest = (olds as Record<string, unknown>)[digestKey(k)];
    if (olds[k] === undefined && typeof digest === "string") return digest !== digestOf(news[k]);
    return canonical(olds[k]) !== canonical(news[k]);
  });
}

/** The output key that holds an input's digest in place of a copy (see keepDigests). */
export function digestKey<K extends string>(key: K): `${K}Sha256` {
  return `${key}Sha256`;
}

/** SHA-256 (hex) of a value's canonical form: the same for every value changedKeys counts as the same. */
export function digestOf(value: unknown): string {
  return sha256Hex(canonical(value));
}

/**
 * Outputs that keep bulky inputs (CA certificates and trust bundles: the same kilobytes in every resource of a
 * node) only as their digest, under digestKey(key), instead of a copy. Why: the state stores every resource's
 * outputs beside its inputs and the file backend rewrites the whole state after every step, so a copied
 * kilobyte costs once per resource per step. Only for inputs that `read` and `delete` never need (they get the
 * outputs alone); `diff` compares them through changedKeys, which knows both shapes, so outputs written before
 * (with the copy) and after (with the digest) both compare as they should.
 */
export function keepDigests<T extends object, K extends keyof T & string>(values: T, keys: readonly K[]): Omit<T, K> & Record<`${K}Sha256`, string> {
  const kept = { ...values } as Record<string, unknown>;
  for (const key of keys) {
    delete kept[key];
    kept[digestKey(key)] = digestOf(values[key]);
  }
  return kept as Omit<T, K> & Record<`${K}Sha256`, string>;
}

function canonical(value: unknown): string {
  return JSON.stringify(value === undefined || value === "" ? null : value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}
