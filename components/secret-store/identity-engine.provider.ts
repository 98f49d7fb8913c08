// SecretStoreIdentityEngine's provider logic, loaded by name in the provider host (see components/shared/dynamic-resource.ts).
import type * as pulumi from "@pulumi/pulumi";
import { changedKeys, implement } from "../shared/dynamic-resource";
import * as store from "./client";
import type { SecretStoreIdentityEngineInputs } from "./identity-engine";

type Inputs = pulumi.Unwrap<SecretStoreIdentityEngineInputs>;

interface Outputs extends Inputs {
  userpassAccessor: string;
  /** The userpass mount was there before the stack: destroy leaves it. */
  adopted: boolean;
  live: "intact" | "userpass-missing" | "key-missing" | "key-changed" | "issuer-changed";
}

// Every role signed by this key is the stack's own.
const ALLOWED_CLIENT_IDS = ["*"];

async function apply(inputs: Inputs, adoptedBefore?: boolean): Promise<Outputs> {
  const { accessor, adopted } = await store.withRootToken(inputs, inputs.unsealKeys, async (admin) => {
    let mount = await store.readAuthMount(inputs, admin, inputs.userpassPath);
    if (mount && mount.type !== "userpass") throw new store.SecretStoreError(`the secret store at ${inputs.address} has a ${mount.type} auth method at ${inputs.userpassPath}/, where the services' userpass logins belong`);
    const found = mount !== undefined;
    if (!mount) {
      await store.enableAuth(inputs, admin, inputs.userpassPath, "userpass", "edge-security service identities");
      mount = await store.readAuthMount(inputs, admin, inputs.userpassPath);
    }
    // An empty issuer: the `iss` claim is the store's default (what the services' token checks expect).
    if ((await store.readOidcIssuer(inputs, admin)) !== "") await store.writeOidcIssuer(inputs, admin, "");
    await store.writeOidcKey(inputs, admin, inputs.keyName, { algorithm: inputs.algorithm, allowedClientIds: ALLOWED_CLIENT_IDS });
    return { accessor: mount!.accessor, adopted: adoptedBefore ?? found };
  });
  if (inputs.issuerClaim !== undefined) {
    const claim = await store.oidcIssuerClaim(inputs);
    if (claim !== inputs.issuerClaim) {
      throw new store.SecretStoreError(`the secret store at ${inputs.address} signs identity tokens with iss ${JSON.stringify(claim)} and the services accept only ${JSON.stringify(inputs.issuerClaim)}: remove api_addr from the store server's configuration (the issuer follows it) and restart it`);
    }
  }
  return { ...inputs, userpassAccessor: accessor, adopted, live: "intact" };
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
      const key = await store.readOidcKey(props, admin, props.keyName);
      if (!key) return "key-missing";
      if (key.algorithm !== props.algorithm || JSON.stringify(key.allowedClientIds) !== JSON.stringify(ALLOWED_CLIENT_IDS)) return "key-changed";
      return (await store.readOidcIssuer(props, admin)) === "" ? "intact" : "issuer-changed";
    });
    return { id, props: { ...props, live } };
  },

  async diff(_id, olds, news) {
    const replaces: string[] = changedKeys(olds, news, ["userpassPath", "keyName"]);
    const changed: string[] = changedKeys(olds, news, ["address", "caPem", "connectTimeoutSeconds", "algorithm", "issuerClaim", "unsealKeys"]);
    if (olds.live !== "intact") changed.push("live");
    return { changes: replaces.length + changed.length > 0, replaces };
  },

  async update(_id, olds, news) {
    // A userpass mount the stack made and someone removed is the stack's again once remade.
    return { outs: await apply(news, olds.live === "userpass-missing" ? false : olds.adopted) };
  },

  async delete(_id, props) {
    await store.withRootToken(props, props.unsealKeys, async (admin) => {
      await store.deleteOidcKey(props, admin, props.keyName);
      if (!props.adopted && (await store.readAuthMount(props, admin, props.userpassPath))?.accessor === props.userpassAccessor) await store.disableAuth(props, admin, props.userpassPath);
    });
  },
});
