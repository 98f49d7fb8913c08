// Dynamic resource: the store's lockout of userpass logins (OpenBao's user_lockout_config on the mount), set
// explicitly by the stack rather than left at OpenBao's default (5 wrong passwords lock a login for 15 minutes,
// which anyone who can reach the gateway's login could do to any user). Threshold 0: no lockout (the gateway's
// limit_req slows guessing instead). `refresh` sees the setting changed; `up` puts it back; `destroy` restores
// OpenBao's default.
import * as pulumi from "../../shared/pulumi";
import { ThinResource, thinProvider } from "../../shared/dynamic-resource";
import type { SecretStoreAdminArgs } from "../../secret-store/admin";

export interface UserpassLockoutInputs extends SecretStoreAdminArgs {
  userpassPath: pulumi.Input<string>;
  /** Wrong passwords before a login is locked; 0: never locked. */
  threshold: pulumi.Input<number>;
  /** How long a locked login stays locked, in seconds. */
  durationSeconds: pulumi.Input<number>;
}

export class UserpassLockout extends ThinResource {
  constructor(name: string, args: UserpassLockoutInputs, opts?: pulumi.CustomResourceOptions) {
    super(thinProvider("gateway/nginx/userpass-lockout"), name, { ...args, live: undefined }, pulumi.mergeOptions(opts, { additionalSecretOutputs: ["unsealKeys"] }), "edge-security", "UserpassLockout");
  }
}
