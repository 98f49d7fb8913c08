// Dynamic resource: what the gateway's users share in the secret store (as EdgeX 3/4 set it up): the userpass auth
// method (enabled once), the identity engine's issuer, and its OIDC signing key (ES384 or ES256) that signs the
// users' tokens. `refresh` sees a disabled method, a deleted or altered key; `up` puts them back.
import * as pulumi from "@pulumi/pulumi";
import type { SecretStoreAdmin, SecretStoreAdminArgs } from "../../secret-store/admin";

export interface GatewayIdentityInputs extends SecretStoreAdminArgs {
  userpassPath: pulumi.Input<string>;
  keyName: pulumi.Input<string>;
  algorithm: pulumi.Input<string>;
  /** The identity tokens' issuer (the store's address). */
  issuer: pulumi.Input<string>;
}

interface Inputs extends SecretStoreAdmin {
  userpassPath: string;
  keyName: string;
  algorithm: string;
  issuer: string;
}

interface Outputs extends Inputs {
  userpassAccessor: string;
  live: "intact" | "userpass-missing" | "key-missing" | "key-changed" | "issuer-changed";
}

// Audiences are checked by the auth service; every role here is the stack's own.
const ALLOWED_CLIENT_IDS = ["*"];

async function apply(inputs: Inputs): Promise<Outputs> {
  const store: typeof import("@edge-security/clients/secret-store") = require("@edge-security/clients/secret-store");
  const userpassAccessor = await store.withRootToken(inputs, inputs.unsealKeys, async (admin) => {
    let mount = await store.readAuthMount(inputs, admin, inputs.userpassPath);
    if (mount && mount.type !== "userpass") throw new store.SecretStoreError(`the secret store at ${inputs.address} has a ${mount.type} auth method at ${inputs.userpassPath}/, not userpass; choose another gateway.nginx.userpassPath`);
    if (!mount) {
      await store.enableAuth(inputs, admin, inputs.userpassPath, "userpass", "edge-security gateway users");
      mount = await store.readAuthMount(inputs, admin, inputs.userpassPath);
    }
    await store.writeOidcIssuer(inputs, admin, inputs.issuer);
    await store.writeOidcKey(inputs, admin, inputs.keyName, { algorithm: inputs.algorithm, allowedClientIds: ALLOWED_CLIENT_IDS });
    return mount!.accessor;
  });
  return { ...inputs, userpassAccessor, live: "intact" };
}

const provider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: Inputs) {
    return { id: `${inputs.userpassPath}/${inputs.keyName}`, outs: await apply(inputs) };
  },

  async read(id: string, props: Outputs) {
    const store: typeof import("@edge-security/clients/secret-store") = require("@edge-security/clients/secret-store");
    if ((await store.sealStatus(props)).sealed) return { id, props };
    const live = await store.withRootToken(props, props.unsealKeys, async (admin): Promise<Outputs["live"]> => {
      const mount = await store.readAuthMount(props, admin, props.userpassPath);
      if (!mount || mount.type !== "userpass" || mount.accessor !== props.userpassAccessor) return "userpass-missing";
      if ((await store.readOidcIssuer(props, admin)) !== props.issuer) return "issuer-changed";
      const key = await store.readOidcKey(props, admin, props.keyName);
      if (!key) return "key-missing";
      return key.algorithm === props.algorithm && JSON.stringify(key.allowedClientIds) === JSON.stringify(ALLOWED_CLIENT_IDS) ? "intact" : "key-changed";
    });
    return { id, props: { ...props, live } };
  },

  async diff(_id: string, olds: Outputs, news: Inputs) {
    const replaces: string[] = (["userpassPath", "keyName"] as const).filter((k) => olds[k] !== news[k]);
    const changed: string[] = (["address", "caPem", "connectTimeoutSeconds", "algorithm", "issuer"] as const).filter((k) => olds[k] !== news[k]);
    if (JSON.stringify(olds.unsealKeys) !== JSON.stringify(news.unsealKeys)) changed.push("unsealKeys");
    if (olds.live !== "intact") changed.push("live");
    return { changes: replaces.length + changed.length > 0, replaces };
  },

  async update(_id: string, _olds: Outputs, news: Inputs) {
    return { outs: await apply(news) };
  },

  async delete(_id: string, props: Outputs) {
    const store: typeof import("@edge-security/clients/secret-store") = require("@edge-security/clients/secret-store");
    await store.withRootToken(props, props.unsealKeys, async (admin) => {
      await store.deleteOidcKey(props, admin, props.keyName);
      if ((await store.readAuthMount(props, admin, props.userpassPath))?.type === "userpass") await store.disableAuth(props, admin, props.userpassPath);
    });
  },
};

export class GatewayIdentity extends pulumi.dynamic.Resource {
  declare readonly userpassAccessor: pulumi.Output<string>;
  declare readonly keyName: pulumi.Output<string>;
  declare readonly userpassPath: pulumi.Output<string>;

  constructor(name: string, args: GatewayIdentityInputs, opts?: pulumi.CustomResourceOptions) {
    super(provider, name, { ...args, userpassAccessor: undefined, live: undefined }, pulumi.mergeOptions(opts, { additionalSecretOutputs: ["unsealKeys"], deleteBeforeReplace: true }), "edge-security", "GatewayIdentity");
  }
}
