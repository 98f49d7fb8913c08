// GatewayUser's provider logic, loaded by name in the provider host (see components/shared/dynamic-resource.ts).
import { randomBytes } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";
import { changedKeys, implement } from "../../shared/dynamic-resource";
import { userPolicyName, userPolicy, roleTemplate, userpassLocked } from "./gateway-users";
import * as store from "../../secret-store/client";
import type { GatewayUserInputs } from "./gateway-user";

type Inputs = pulumi.Unwrap<GatewayUserInputs>;

// "locked-out": the store's lockout refuses the login (wrong passwords from someone); the password is unchanged,
// so it is no change for `up` (the lock ends after gateway.nginx.lockout.duration).
type Live = "intact" | "policy-changed" | "entity-changed" | "login-missing" | "password-changed" | "role-changed" | "locked-out";

interface Outputs extends Inputs {
  password: string;
  live: Live;
}

const PASSWORD_BYTES = 32;

/** The user's shape: this project's own, or EdgeX's (`secrets-config proxy adduser`) when `edgex` is set. */
function shape(inputs: Inputs): { policyName: string; policy: string; metadata: Record<string, string>; template: string } {
  return inputs.edgex
    ? { policyName: inputs.edgex.policyName, policy: inputs.edgex.policy, metadata: { name: inputs.name }, template: inputs.edgex.oidcTemplate }
    : { policyName: userPolicyName(inputs.name), policy: userPolicy(inputs.name), metadata: { "managed-by": "edge-security" }, template: roleTemplate(inputs.groups) };
}

function tokenRoleOf(inputs: Inputs): store.TokenRole {
  return { allowedPolicies: [shape(inputs).policyName], allowedEntityAliases: [inputs.name], orphan: true, renewable: true };
}

async function apply(inputs: Inputs, password: string, olds?: Inputs): Promise<Outputs> {
  const { policyName: policy, policy: document, metadata, template } = shape(inputs);
  await store.withRootToken(inputs, inputs.unsealKeys, async (admin) => {
    await store.writePolicy(inputs, admin, policy, document);
    const entity = await store.writeEntity(inputs, admin, inputs.name, [policy], metadata);
    if (!entity.aliases.some((a) => a.mountAccessor === inputs.userpassAccessor && a.name === inputs.name)) await store.createEntityAlias(inputs, admin, inputs.name, entity.id, inputs.userpassAccessor);
    if (inputs.edgex) await store.writePeriodicUserpassUser(inputs, admin, inputs.userpassPath, inputs.name, { password, tokenPeriod: inputs.edgex.tokenPeriod });
    else await store.writeUserpassUser(inputs, admin, inputs.userpassPath, inputs.name, { password, tokenPolicies: [policy], tokenTtl: "15m" });
    await store.writeOidcRole(inputs, admin, inputs.name, { key: inputs.keyName, ttl: inputs.tokenTtlSeconds, clientId: inputs.audience, template });
    if (inputs.edgex) await store.writeTokenRole(inputs, admin, inputs.name, tokenRoleOf(inputs));
    if (olds && shape(olds).policyName !== policy) await store.deletePolicy(inputs, admin, shape(olds).policyName);
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
      const { policyName: policy, policy: document, template } = shape(props);
      if ((await store.readPolicy(props, admin, policy))?.trim() !== document.trim()) return "policy-changed";
      const entity = await store.readEntity(props, admin, props.name);
      if (!entity || !entity.policies.includes(policy) || !entity.aliases.some((a) => a.mountAccessor === props.userpassAccessor && a.name === props.name)) return "entity-changed";
      if (!(await store.userpassUserExists(props, admin, props.userpassPath, props.name))) return "login-missing";
      const role = await store.readOidcRole(props, admin, props.name);
      if (!role || role.key !== props.keyName || role.ttl !== props.tokenTtlSeconds || role.clientId !== props.audience || JSON.stringify(JSON.parse(role.template || "{}")) !== JSON.stringify(JSON.parse(template))) return "role-changed";
      if (props.edgex) {
        const tokenRole = await store.readTokenRole(props, admin, props.name);
        if (!tokenRole || JSON.stringify(tokenRole.allowedEntityAliases) !== JSON.stringify([props.name]) || JSON.stringify(tokenRole.allowedPolicies) !== JSON.stringify([policy])) return "role-changed";
      }
      return "intact";
    });
    if (live !== "intact") return { id, props: { ...props, live } };
    // The password: only a login tells (the store keeps a hash); the login's token is revoked at once.
    const token = await store.userpassLogin(props, props.userpassPath, props.name, props.password);
    if (token) {
      await store.revokeSelf(props, token);
      return { id, props: { ...props, live: "intact" } };
    }
    // A refused login is a changed password only if the store has not locked the user out.
    const locked = await store.withRootToken(props, props.unsealKeys, (admin) => userpassLocked(props, admin, props.userpassAccessor, props.name));
    return { id, props: { ...props, live: locked ? "locked-out" : "password-changed" } };
  },

  async diff(_id, olds, news) {
    const replaces: string[] = changedKeys(olds, news, ["name", "userpassPath"]);
    const changed: string[] = changedKeys(olds, news, ["address", "caPem", "connectTimeoutSeconds", "userpassAccessor", "keyName", "audience", "tokenTtlSeconds", "groups", "unsealKeys", "edgex"]);
    if (olds.live !== "intact" && olds.live !== "locked-out") changed.push("live");
    return { changes: replaces.length + changed.length > 0, replaces };
  },

  async update(_id, olds, news) {
    return { outs: await apply(news, olds.password, olds) };
  },

  async delete(_id, props) {
    await store.withRootToken(props, props.unsealKeys, async (admin) => {
      await store.deleteOidcRole(props, admin, props.name);
      if (props.edgex) await store.deleteTokenRole(props, admin, props.name);
      if (await store.readAuthMount(props, admin, props.userpassPath)) await store.deleteUserpassUser(props, admin, props.userpassPath, props.name);
      await store.deleteEntity(props, admin, props.name);
      await store.deletePolicy(props, admin, shape(props).policyName);
    });
  },
});
