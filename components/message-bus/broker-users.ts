// Dynamic resource: an MQTT broker's users, as the broker reads them: its password file (mosquitto's hashed format)
// and its ACL, both 0600 in the broker's folder, written atomically; then, when the broker's pid file is given and
// names a running mosquitto, SIGHUP so that it re-reads them (a rotated password works at once, the old one stops).
// A file lost or altered on disk is seen by `refresh`/`preview` and written again by `up`.
// Logic: ./broker-users.provider.ts.
import * as pulumi from "../shared/pulumi";
import { ThinResource, thinProvider } from "../shared/dynamic-resource";

export interface BrokerUsersInputs {
  passwordFile: pulumi.Input<string>;
  aclFile: pulumi.Input<string>;
  /** Each user's name, password (a secret) and topic filters. */
  users: pulumi.Input<pulumi.Input<{ username: pulumi.Input<string>; password: pulumi.Input<string>; topics: pulumi.Input<string>[] }>[]>;
  /** The running broker's pid file: SIGHUP after a change (none, or no such process: nothing is signalled). */
  pidFile?: pulumi.Input<string>;
  uid?: pulumi.Input<number>;
  gid?: pulumi.Input<number>;
}

export class BrokerUsers extends ThinResource {
  declare readonly passwordFile: pulumi.Output<string>;
  declare readonly aclFile: pulumi.Output<string>;

  constructor(name: string, args: BrokerUsersInputs, opts?: pulumi.CustomResourceOptions) {
    super(thinProvider("message-bus/broker-users"), name, { ...args, live: undefined }, pulumi.mergeOptions(opts, { additionalSecretOutputs: ["users"] }), "edge-security", "BrokerUsers");
  }
}
