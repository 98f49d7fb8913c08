// GatewayUser's provider logic, loaded by name in the provider host (see components/shared/dynamic-resource.ts).
import { randomBytes } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";
import { changedKeys, implement } from "../../shared/dynamic-resource";
import { userPolicyName, userPolicy, roleTemplate } from "./gateway-users";
import * as store from "../../secret-store/client";
import type { GatewayUserInputs } from "./gateway-user";

type Inputs = pulumi.Unwrap<GatewayUserInputs>;

type Live = "intact" | "policy-changed" | "entity-changed" | "login-missing" | "password-changed" | "role-changed";

interface Outputs extends Inputs {
  password: string;
  live: Live;
}

const PASSWORD_BYTES = 32;

async function apply(inputs: Inputs, password: string): Promise<Outputs> {
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

export const provider = implement<Inputs, Outputs>({
  async create(inputs) {
    return { id: `${inputs.userpassPath}/${inputs.name}`, outs: await apply(inputs, randomBytes(PASSWORD_BYTES).toString("base64url")) };
  },

  async read(id, props) {
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

  async diff(_id, olds, news) {
    const replaces: string[] = changedKeys(olds, news, ["name", "userpassPath"]);
    const changed: string[] = changedKeys(olds, news, ["address", "caPem", "connectTimeoutSeconds", "userpassAccessor", "keyName", "audience", "tokenTtlSeconds", "groups", "unsealKeys"]);
    if (olds.live !== "intact") changed.push("live");
    return { changes: replaces.length + changed.length > 0, replaces };
  },

  async update(_id, olds, news) {
    return { outs: await apply(news, olds.password) };
  },

  async delete(_id, props) {
    await store.withRootToken(props, props.unsealKeys, async (admin) => {
      await store.deleteOidcRole(props, admin, props.name);
      if (await store.readAuthMount(props, admin, props.userpassPath)) await store.deleteUserpassUser(props, admin, props.userpassPath, props.name);
      await store.deleteEntity(props, admin, props.name);
      await store.deletePolicy(props, admin, userPolicyName(props.name));
    });
  },
});
