// INTERIM (issue 4), to be replaced by the secret store (issue 3) at merge: one service's database credentials,
// with the same resource name (`<service>-db-credentials`) and outputs ({ username, password (secret) }) as the
// secret store's resource, so the Databases component and the tests do not change when it is swapped in.
// username: the service name lower-cased, characters outside [a-z0-9_] turned into `_`; password: 32 random bytes,
// hex. The password is a secret output (encrypted in the state) and is never logged.
import * as pulumi from "@pulumi/pulumi";

export interface InterimDbCredentialsInputs {
  service: pulumi.Input<string>;
}

interface Outputs {
  service: string;
  username: string;
  password: string;
}

const provider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: { service: string }) {
    const { randomBytes }: typeof import("node:crypto") = require("node:crypto");
    const ids: typeof import("@edge-security/clients/db-identifiers") = require("@edge-security/clients/db-identifiers");
    const outs: Outputs = { service: inputs.service, username: ids.defaultDbName(inputs.service), password: randomBytes(32).toString("hex") };
    return { id: `${inputs.service}-db-credentials`, outs };
  },

  async diff(_id: string, olds: Outputs, news: { service: string }) {
    const replaces = olds.service === news.service ? [] : ["service"];
    return { changes: replaces.length > 0, replaces };
  },
};

export class InterimDbCredentials extends pulumi.dynamic.Resource {
  declare readonly username: pulumi.Output<string>;
  declare readonly password: pulumi.Output<string>;

  constructor(name: string, args: InterimDbCredentialsInputs, opts?: pulumi.CustomResourceOptions) {
    super(provider, name, { ...args, username: undefined, password: undefined }, pulumi.mergeOptions(opts, { additionalSecretOutputs: ["password"] }), "edge-security", "InterimDbCredentials");
  }
}

/** INTERIM: `<service>-db-credentials` for each service, in the shape of the secret store's `credentials`. */
export function interimDbCredentials(services: readonly string[], parent: pulumi.Resource): Record<string, { username: pulumi.Output<string>; password: pulumi.Output<string> }> {
  return Object.fromEntries(
    services.map((service) => {
      const creds = new InterimDbCredentials(`${service}-db-credentials`, { service }, { parent });
      return [service, { username: creds.username, password: creds.password }];
    }),
  );
}
