// Dynamic resource: one gateway user in the secret store, as EdgeX 3/4 keep them: a policy that lets the user
// read its own identity token, an identity entity with an alias on the userpass mount, a userpass login with a
// generated password (a Pulumi secret) and an OIDC role (the token's TTL, audience and groups). Removing the
// user from the stack removes all of it. `refresh` sees any part missing or altered (and a changed password,
// by logging in); `up` puts it back with the same password.
import * as pulumi from "@pulumi/pulumi";
import type { SecretStoreAdmin, SecretStoreAdminArgs } from "../../secret-store/admin";

export interface GatewayUserInputs extends SecretStoreAdminArgs {
  name: pulumi.Input<string>;
  groups: pulumi.Input<pulumi.Input<string>[]>;
  userpassPath: pulumi.Input<string>;
  /** The userpass mount's accessor (from GatewayIdentity): the entity alias is made on it. */
  userpassAccessor: pulumi.Input<string>;
  keyName: pulumi.Input<string>;
  audience: pulumi.Input<string>;
  /** Token lifetime in seconds. */
  tokenTtlSeconds: pulumi.Input<number>;
}

interface Inputs extends SecretStoreAdmin {
  name: string;
  groups: string[];
  userpassPath: string;
  userpassAccessor: string;
  keyName: string;
  audience: string;
  tokenTtlSeconds: number;
}

type Live = "intact" | "policy-changed" | "entity-changed" | "login-missing" | "password-changed" | "role-changed";

interface Outputs extends Inputs {
  password: string;
  live: Live;
}

const PASSWORD_BYTES = 32;

async function apply(inputs: Inputs, password: string): Promise<Outputs> {
  const store: typeof import("@edge-security/clients/secret-store") = require("@edge-security/clients/secret-store");
  const { userPolicyName, userPolicy, roleTemplate }: typeof import("@edge-security/clients/gateway-users") = require("@edge-security/clients/gateway-users");
  await store.withRootToken(inputs, inputs.unsealKeys, async (admin) => {
    const policy = userPolicyName(inputs.name);
    await store.writePolicy(inputs, admin, policy, userPolicy(inputs.name));
    const entity = await store.writeEntity(inputs, admin, inputs.name, [policy], { "managed-by": "edge-security" });
    if (!entity.aliases.some((a) => a.mountAccessor === inputs.userpassAccessor && a.name === inputs.name)) await store.createEntityAlias(inputs, admin, inputs.name, entity.id, inputs.userpassAccessor);
    await store.writeUserpassUser(inputs, admin, inputs.userpassPath, inputs.name, { password, tokenPolicies: [policy], tokenTtl: "15m" });
    await store.writeOidcRole(inputs, admin, inputs.name, { key: inputs.keyName, ttl: inputs.tokenTtlSeconds, clientId: inputs.audience, template: roleTemplate(inputs.groups) });
  });
  return { ...inputs, password, live: "intact" };
}

const provider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: Inputs) {
    const { randomBytes } = require("node:crypto");
    return { id: `${inputs.userpassPath}/${inputs.name}`, outs: await apply(inputs, randomBytes(PASSWORD_BYTES).toString("base64url")) };
  },

  async read(id: string, props: Outputs) {
    const store: typeof import("@edge-security/clients/secret-store") = require("@edge-security/clients/secret-store");
    const { userPolicyName, userPolicy, roleTemplate }: typeof import("@edge-security/clients/gateway-users") = require("@edge-security/clients/gateway-users");
    if ((await store.sealStatus(props)).sealed) return { id, props };
    const live = await store.withRootToken(props, props.unsealKeys, async (admin): Promise<Live> => {
      const policy = userPolicyName(props.name);
      if ((await store.readPolicy(props, admin, policy))?.trim() !== userPolicy(props.name)) return "policy-changed";
      const entity = await store.readEntity(props, admin, props.name);
      if (!entity || !entity.policies.includes(policy) || !entity.aliases.some((a) => a.mountAccessor === props.userpassAccessor && a.name === props.name)) return "entity-changed";
      if (!(await store.userpassUserExists(props, admin, props.userpassPath, props.name))) return "login-missing";
      const role = await store.readOidcRole(props, admin, props.name);
      if (!role || role.key !== props.keyName || role.ttl !== props.tokenTtlSeconds || role.clientId !== props.audience || JSON.stringify(JSON.parse(role.template || "{}")) !== roleTemplate(props.groups)) return "role-changed";
      return "intact";
    });
    if (live !== "intact") return { id, props: { ...props, live } };
    // The password: only a login tells (the store keeps a hash); the login's token is revoked at once.
    const token = await store.userpassLogin(props, props.userpassPath, props.name, props.password);
    if (token) await store.revokeSelf(props, token);
    return { id, props: { ...props, live: token ? "intact" : "password-changed" } };
  },

  async diff(_id: string, olds: Outputs, news: Inputs) {
    const replaces: string[] = (["name", "userpassPath"] as const).filter((k) => olds[k] !== news[k]);
    const changed: string[] = (["address", "caPem", "connectTimeoutSeconds", "userpassAccessor", "keyName", "audience", "tokenTtlSeconds"] as const).filter((k) => olds[k] !== news[k]);
    if (JSON.stringify(olds.groups) !== JSON.stringify(news.groups)) changed.push("groups");
    if (JSON.stringify(olds.unsealKeys) !== JSON.stringify(news.unsealKeys)) changed.push("unsealKeys");
    if (olds.live !== "intact") changed.push("live");
    return { changes: replaces.length + changed.length > 0, replaces };
  },

  async update(_id: string, olds: Outputs, news: Inputs) {
    return { outs: await apply(news, olds.password) };
  },

  async delete(_id: string, props: Outputs) {
    const store: typeof import("@edge-security/clients/secret-store") = require("@edge-security/clients/secret-store");
    const { userPolicyName }: typeof import("@edge-security/clients/gateway-users") = require("@edge-security/clients/gateway-users");
    await store.withRootToken(props, props.unsealKeys, async (admin) => {
      await store.deleteOidcRole(props, admin, props.name);
      if (await store.readAuthMount(props, admin, props.userpassPath)) await store.deleteUserpassUser(props, admin, props.userpassPath, props.name);
      await store.deleteEntity(props, admin, props.name);
      await store.deletePolicy(props, admin, userPolicyName(props.name));
    });
  },
};

export class GatewayUser extends pulumi.dynamic.Resource {
  declare readonly name: pulumi.Output<string>;
  declare readonly password: pulumi.Output<string>;

  constructor(name: string, args: GatewayUserInputs, opts?: pulumi.CustomResourceOptions) {
    super(provider, name, { ...args, password: undefined, live: undefined }, pulumi.mergeOptions(opts, { additionalSecretOutputs: ["unsealKeys", "password"], deleteBeforeReplace: true }), "edge-security", "GatewayUser");
  }
}
