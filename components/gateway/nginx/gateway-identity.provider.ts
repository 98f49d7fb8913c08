// GatewayIdentity's provider logic, loaded by name in the provider host (see components/shared/dynamic-resource.ts).
import type * as pulumi from "@pulumi/pulumi";
import { changedKeys, implement } from "../../shared/dynamic-resource";
import * as store from "../../secret-store/client";
import type { GatewayIdentityInputs } from "./gateway-identity";

type Inputs = pulumi.Unwrap<GatewayIdentityInputs>;

interface Outputs extends Inputs {
  userpassAccessor: string;
  live: "intact" | "userpass-missing" | "key-missing" | "key-changed" | "issuer-changed";
}

// Audiences are checked by the auth service; every role here is the stack's own.
const ALLOWED_CLIENT_IDS = ["*"];

async function apply(inputs: Inputs): Promise<Outputs> {
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

export const provider = implement<Inputs, Outputs>({
  async create(inputs) {
    return { id: `${inputs.userpassPath}/${inputs.keyName}`, outs: await apply(inputs) };
  },

  async read(id, props) {
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

  async diff(_id, olds, news) {
    const replaces: string[] = changedKeys(olds, news, ["userpassPath", "keyName"]);
    const changed: string[] = changedKeys(olds, news, ["address", "caPem", "connectTimeoutSeconds", "algorithm", "issuer", "unsealKeys"]);
    if (olds.live !== "intact") changed.push("live");
    return { changes: replaces.length + changed.length > 0, replaces };
  },

  async update(_id, _olds, news) {
    return { outs: await apply(news) };
  },

  async delete(_id, props) {
    await store.withRootToken(props, props.unsealKeys, async (admin) => {
      await store.deleteOidcKey(props, admin, props.keyName);
      if ((await store.readAuthMount(props, admin, props.userpassPath))?.type === "userpass") await store.disableAuth(props, admin, props.userpassPath);
    });
  },
});
