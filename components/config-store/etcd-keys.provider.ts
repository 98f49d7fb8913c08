// EtcdKeys's provider logic, loaded by name in the provider host (see components/shared/dynamic-resource.ts).
import type * as pulumi from "@pulumi/pulumi";
import { changedKeys, implement } from "../shared/dynamic-resource";
import * as connection from "./etcd-connection";
import * as kv from "./etcd-keys-client";
import type { EtcdKeysInputs } from "./etcd-keys";

/** The program's inputs and `values`, computed by check. */
type Inputs = pulumi.Unwrap<EtcdKeysInputs> & { values: Record<string, string> };

interface Outputs extends Inputs {
  /** Keys whose value in etcd is not the default (an operator's change, kept). */
  operatorChanged: string[];
  /** Keys with a default that etcd does not hold (deleted out of band; restored by the next `up`). */
  missing: string[];
}

const target = (s: Inputs) => ({ endpoint: s.endpoint, caCertPem: s.caCertPem, caKeyPem: s.caKeyPem, waitTimeoutSeconds: s.waitTimeoutSeconds });

function report(defaults: Record<string, string>, values: Record<string, string>) {
  const keys = Object.keys(defaults).sort();
  return { operatorChanged: keys.filter((k) => k in values && values[k] !== defaults[k]), missing: keys.filter((k) => !(k in values)) };
}

async function withClient<T>(s: Inputs, fn: (client: import("etcd3").Etcd3, kv: typeof import("./etcd-keys-client")) => Promise<T>): Promise<T> {
  return connection.withEtcd(target(s), undefined, (client) => fn(client, kv));
}

export const provider = implement<Inputs, Outputs>({
  async check(olds, news) {
    const failures = [];
    if (typeof news.defaults !== "object" || news.defaults === null) failures.push({ property: "defaults", reason: "must be an object of key -> value" });
    const values: Record<string, string> = {};
    for (const [key, value] of Object.entries(news.defaults ?? {})) {
      const current = olds.values?.[key];
      const keep = !news.overwriteOperatorChanges && current !== undefined && olds.defaults?.[key] === value;
      values[key] = keep ? current : value;
    }
    return { inputs: { ...news, values }, failures };
  },

  async create(inputs) {
    await withClient(inputs, (client, kv) => kv.writeKeys(client, inputs.values));
    const outs: Outputs = { ...inputs, ...report(inputs.defaults, inputs.values) };
    return { id: `${inputs.endpoint}#${inputs.group}`, outs };
  },

  // The live values; also returned as inputs, so that the next check and preview start from what etcd holds.
  // (The engine keeps the CA key input a secret, as it was.)
  async read(id, props) {
    const keys = [...new Set([...Object.keys(props.defaults), ...Object.keys(props.values)])];
    const values = await withClient(props, (client, kv) => kv.readKeys(client, keys));
    const { operatorChanged: _c, missing: _m, ...inputs } = props;
    return { id, props: { ...props, values, ...report(props.defaults, values) }, inputs: { ...inputs, values } };
  },

  async diff(_id, olds, news) {
    const replaces = changedKeys(olds, news, ["endpoint", "group"]);
    const changed = changedKeys(olds, news, ["values", "defaults", "overwriteOperatorChanges", "waitTimeoutSeconds", "caCertPem", "caKeyPem"]).length > 0;
    // Same keys for old and new: the old ones go first.
    return { changes: replaces.length > 0 || changed, replaces, deleteBeforeReplace: true };
  },

  // Writes the keys whose value changes and removes the keys no longer in the file.
  async update(_id, olds, news) {
    const write = Object.fromEntries(Object.entries(news.values).filter(([k, v]) => olds.values[k] !== v));
    const remove = Object.keys(olds.values).filter((k) => !(k in news.values));
    await withClient(news, async (client, kv) => {
      await kv.writeKeys(client, write);
      await kv.deleteKeys(client, remove);
    });
    const outs: Outputs = { ...news, ...report(news.defaults, news.values) };
    return { outs };
  },

  async delete(_id, props) {
    await withClient(props, (client, kv) => kv.deleteKeys(client, Object.keys(props.values)));
  },
});
