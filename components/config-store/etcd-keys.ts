// Dynamic resource: one group's default configuration in etcd (a service's keys, or GlobalEnv).
//   inputs.defaults  the keys and values from the default-config file (full etcd keys)
//   inputs.values    what etcd should hold, computed by `check`: the default, except that a key an operator
//                    changed at run time (seen by refresh) keeps the operator's value unless
//                    overwriteOperatorChanges is set or that key's default changed in the file
// Refresh reads the live values into `values` (state and inputs), so the next preview shows, key by key, what
// `up` will write: a key deleted out of band comes back, an operator's change stays (or is overwritten).
import * as pulumi from "../shared/pulumi";
import { ThinResource, thinProvider } from "../shared/dynamic-resource";

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

export class EtcdKeys extends ThinResource {
  declare readonly values: pulumi.Output<Record<string, string>>;
  declare readonly operatorChanged: pulumi.Output<string[]>;
  declare readonly missing: pulumi.Output<string[]>;

  /**
   * `secretValues`: the defaults hold a secret (a private key). The engine keeps a value secret where the input of
   * the same name was, and `values` (computed by check) is an input too: it is given as a secret placeholder.
   */
  constructor(name: string, args: EtcdKeysInputs, opts?: pulumi.CustomResourceOptions, secretValues = false) {
    super(
      thinProvider("config-store/etcd-keys"),
      name,
      { ...args, values: secretValues ? pulumi.secret({}) : undefined, operatorChanged: undefined, missing: undefined },
      pulumi.mergeOptions(opts, { deleteBeforeReplace: true, additionalSecretOutputs: ["caKeyPem"] }),
      "edge-security",
      "EtcdKeys",
    );
  }
}
