// Dynamic resource: what the token recovery service (EdgeX's regeneration endpoint `PUT /api/v3/token/entityId/<id>`,
// served by security-secretstore-setup in EdgeX 4; contract 1b) needs from the store, least privilege:
// - a policy that allows only creating tokens through the listed services' token roles (each role is limited to its
//   service's policy and entity alias) and reading those services' entities by name;
// - an AppRole login holding that policy (a secret id that does not expire, usable only from `boundCidrs`), so the
//   service logs in again after any stop: no token of its own to expire while the node is down;
// - per service an alias of its name on the token auth mount, on the service's own entity: a token created with
//   `entity_alias` is then bound to that entity (same entity id, same identity tokens) instead of a new one;
// - the service's settings file (0600: it holds the secret id): store address and CA, the AppRole, where it listens,
//   per service its token file, owner and policies.
// A role, policy, secret id, alias or file lost or changed is seen by `refresh`/`preview` and made good by `up`.
import * as pulumi from "../shared/pulumi";
import { ThinResource, thinProvider } from "../shared/dynamic-resource";
import type { SecretStoreAdminArgs } from "./admin";

export interface TokenRecoveryServiceInputs {
  /** The service key (also the token role, entity and token-mount alias name). */
  name: pulumi.Input<string>;
  /** The service's entity id (ServiceIdentity's output: a new entity makes the alias anew). */
  entityId: pulumi.Input<string>;
  /** The policies a recovered token gets (the service's policy). */
  policies: pulumi.Input<pulumi.Input<string>[]>;
  tokenFile: pulumi.Input<string>;
  uid?: pulumi.Input<number>;
  gid?: pulumi.Input<number>;
}

export interface TokenRecoveryInputs extends SecretStoreAdminArgs {
  /** The AppRole auth mount (enabled if missing). */
  appRolePath: pulumi.Input<string>;
  /** The AppRole role and the policy of the recovery service. */
  roleName: pulumi.Input<string>;
  policyName: pulumi.Input<string>;
  /** CIDRs the recovery service logs in and uses its token from. */
  boundCidrs: pulumi.Input<pulumi.Input<string>[]>;
  /** Period of the tokens it makes (the services' token period). */
  tokenPeriod: pulumi.Input<string>;
  listenHost: pulumi.Input<string>;
  port: pulumi.Input<number>;
  /** The service's settings file (absolute). */
  configFile: pulumi.Input<string>;
  services: pulumi.Input<pulumi.Input<TokenRecoveryServiceInputs>[]>;
}

export class TokenRecovery extends ThinResource {
  declare readonly configFile: pulumi.Output<string>;
  declare readonly roleId: pulumi.Output<string>;

  constructor(name: string, args: TokenRecoveryInputs, opts?: pulumi.CustomResourceOptions) {
    super(
      thinProvider("secret-store/token-recovery"),
      name,
      { ...args, roleId: undefined, secretId: undefined, secretIdAccessor: undefined, tokenAccessor: undefined, configContent: undefined, enabledMount: undefined, live: undefined },
      pulumi.mergeOptions(opts, { additionalSecretOutputs: ["unsealKeys", "secretId", "configContent"], deleteBeforeReplace: true }),
      "edge-security",
      "TokenRecovery",
    );
  }
}

/** The recovery service's settings file (written by the provider, read by token-recovery-service/server.ts). */
export interface TokenRecoveryConfig {
  address: string;
  caPem: string;
  appRole: { mount: string; roleId: string; secretId: string };
  tokenPeriod: string;
  listen: { host: string; port: number };
  services: Record<string, { policies: string[]; tokenFile: string; uid?: number; gid?: number }>;
}
