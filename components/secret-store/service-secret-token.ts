// Dynamic resource: one service's secret-store access: its policy (its own KV path only) and a periodic orphan
// token with that policy, written to the service's folder as secrets-token.json (0600, the store's own token
// response). A token that expired or was revoked, a policy gone, or a token file lost (reboot) is seen by
// `refresh`/`preview` and made good by `up`, without touching the service's other secrets.
import * as pulumi from "../shared/pulumi";
import { ThinResource, thinProvider } from "../shared/dynamic-resource";
import type { SecretStoreAdminArgs } from "./admin";

export interface ServiceSecretTokenInputs extends SecretStoreAdminArgs {
  service: pulumi.Input<string>;
  policyName: pulumi.Input<string>;
  policy: pulumi.Input<string>;
  /** A path the token must be able to read (its own secrets), to tell a working token from a useless one. */
  checkPath: pulumi.Input<string>;
  period: pulumi.Input<string>;
  tokenFile: pulumi.Input<string>;
  uid?: pulumi.Input<number>;
  gid?: pulumi.Input<number>;
  /** Rotation generation: a change revokes the token and issues a new one (docs/rotation.md). Unset: 0. */
  rotation?: pulumi.Input<number>;
  /** Renewal window (24h, 90m, 3600s) before the token's expiry; unset: a third of the period, "0s": off. */
  renewBefore?: pulumi.Input<string>;
}

export class ServiceSecretToken extends ThinResource {
  declare readonly tokenFile: pulumi.Output<string>;
  declare readonly accessor: pulumi.Output<string>;

  constructor(name: string, args: ServiceSecretTokenInputs, opts?: pulumi.CustomResourceOptions) {
    super(
      thinProvider("secret-store/service-secret-token"),
      name,
      { ...args, accessor: undefined, token: undefined, tokenFileContent: undefined, live: undefined },
      pulumi.mergeOptions(opts, { additionalSecretOutputs: ["unsealKeys", "token", "tokenFileContent"] }),
      "edge-security",
      "ServiceSecretToken",
    );
  }
}
