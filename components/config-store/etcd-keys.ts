// Dynamic resource: one group's default configuration in etcd (a service's keys, or GlobalEnv).
//   inputs.defaults  the keys and values from the default-config file (full etcd keys)
//   inputs.values    what etcd should hold, computed by `check`: the default, except that a key an operator
//                    changed at run time (seen by refresh) keeps the operator's value unless
//                    overwriteOperatorChanges is set or that key's default changed in the file
// Refresh reads the live values into `values` (state and inputs), so the next preview shows, key by key, what
// `up` will write: a key deleted out of band comes back, an operator's change stays (or is overwritten).
import * as pulumi from "@pulumi/pulumi";

export interface EtcdKeysInputs {
  endpoint: pulumi.Input<string>;
  /** A service name, or "GlobalEnv". */
  group: pulumi.Input<string>;
  defaults: pulumi.Input<Record<string, pulumi.Input<string>>>;
  overwriteOperatorChanges: pulumi.Input<boolean>;
  waitTimeoutSeconds: pulumi.Input<number>;
  /** https only (none in DEV_MODE): the CA and its key (secret), for the admin connection. */
  caCertPem?: pulumi.Input<string>;
  caKeyPem?: pulumi.Input<string>;
}

interface Inputs {
  endpoint: string;
  group: string;
  defaults: Record<string, string>;
  overwriteOperatorChanges: boolean;
  waitTimeoutSeconds: number;
  caCertPem?: string;
  caKeyPem?: string;
  values: Record<string, string>;
}

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

async function withClient<T>(s: Inputs, fn: (client: import("etcd3").Etcd3, kv: typeof import("@edge-security/clients/etcd-keys")) => Promise<T>): Promise<T> {
  const connection: typeof import("@edge-security/clients/etcd-connection") = require("@edge-security/clients/etcd-connection");
  const kv: typeof import("@edge-security/clients/etcd-keys") = require("@edge-security/clients/etcd-keys");
  return connection.withEtcd(target(s), undefined, (client) => fn(client, kv));
}

const provider: pulumi.dynamic.ResourceProvider = {
  async check(olds: Partial<Inputs>, news: Inputs) {
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

  async create(inputs: Inputs) {
    await withClient(inputs, (client, kv) => kv.writeKeys(client, inputs.values));
    const outs: Outputs = { ...inputs, ...report(inputs.defaults, inputs.values) };
    return { id: `${inputs.endpoint}#${inputs.group}`, outs };
  },

  // The live values; also returned as inputs, so that the next check and preview start from what etcd holds.
  // (The engine keeps the CA key input a secret, as it was.)
  async read(id: string, props: Outputs) {
    const keys = [...new Set([...Object.keys(props.defaults), ...Object.keys(props.values)])];
    const values = await withClient(props, (client, kv) => kv.readKeys(client, keys));
    const { operatorChanged: _c, missing: _m, ...inputs } = props;
    return { id, props: { ...props, values, ...report(props.defaults, values) }, inputs: { ...inputs, values } };
  },

  async diff(_id: string, olds: Outputs, news: Inputs) {
    const replaces = (["endpoint", "group"] as const).filter((k) => olds[k] !== news[k]);
    const changed =
      JSON.stringify(olds.values) !== JSON.stringify(news.values) ||
      JSON.stringify(olds.defaults) !== JSON.stringify(news.defaults) ||
      (["overwriteOperatorChanges", "waitTimeoutSeconds", "caCertPem", "caKeyPem"] as const).some((k) => (olds[k] ?? null) !== (news[k] ?? null));
    // Same keys for old and new: the old ones go first.
    return { changes: replaces.length > 0 || changed, replaces, deleteBeforeReplace: true };
  },

  // Writes the keys whose value changes and removes the keys no longer in the file.
  async update(_id: string, olds: Outputs, news: Inputs) {
    const write = Object.fromEntries(Object.entries(news.values).filter(([k, v]) => olds.values[k] !== v));
    const remove = Object.keys(olds.values).filter((k) => !(k in news.values));
    await withClient(news, async (client, kv) => {
      await kv.writeKeys(client, write);
      await kv.deleteKeys(client, remove);
    });
    const outs: Outputs = { ...news, ...report(news.defaults, news.values) };
    return { outs };
  },

  async delete(_id: string, props: Outputs) {
    await withClient(props, (client, kv) => kv.deleteKeys(client, Object.keys(props.values)));
  },
};

export class EtcdKeys extends pulumi.dynamic.Resource {
  declare readonly values: pulumi.Output<Record<string, string>>;
  declare readonly operatorChanged: pulumi.Output<string[]>;
  declare readonly missing: pulumi.Output<string[]>;

  constructor(name: string, args: EtcdKeysInputs, opts?: pulumi.CustomResourceOptions) {
    super(
      provider,
      name,
      { ...args, values: undefined, operatorChanged: undefined, missing: undefined },
      pulumi.mergeOptions(opts, { deleteBeforeReplace: true, additionalSecretOutputs: ["caKeyPem"] }),
      "edge-security",
      "EtcdKeys",
    );
  }
}
