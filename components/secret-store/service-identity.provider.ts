// ServiceIdentity's provider logic, loaded by name in the provider host (see components/shared/dynamic-resource.ts).
import type * as pulumi from "@pulumi/pulumi";
import { changedKeys, implement } from "../shared/dynamic-resource";
import * as files from "../shared/files";
import * as store from "./client";
import type { ServiceIdentityInputs } from "./service-identity";

type Inputs = pulumi.Unwrap<ServiceIdentityInputs>;

type Live =
  | "intact"
  | "token-invalid"
  | "token-recovered"
  | "entity-changed"
  | "policy-changed"
  | "login-missing"
  | "oidc-role-changed"
  | "token-role-changed"
  | "policy-missing"
  | "file-missing"
  | "file-changed"
  | "renewal-due"
  | "unknown-sealed";

interface Outputs extends Inputs {
  password: string;
  accessor: string;
  entityId: string;
  token: string;
  tokenFileContent: string;
  live: Live;
}

/** EdgeX's userpass passwords: 33 random bytes, standard base64. */
const PASSWORD_BYTES = 33;

function tokenRoleOf(inputs: Inputs): store.TokenRole {
  return { allowedPolicies: [inputs.policyName], allowedEntityAliases: [inputs.service], orphan: true, renewable: true };
}

const sameJson = (a: string, b: string): boolean => {
  try {
    return JSON.stringify(JSON.parse(a || "{}")) === JSON.stringify(JSON.parse(b || "{}"));
  } catch {
    return false;
  }
};

/**
 * A token the token recovery service (EdgeX's regeneration endpoint, docs/edgex.md) wrote to the token file in place
 * of the stack's dead one: valid, bound to this entity, with the service's policy. Undefined otherwise.
 */
async function recoveredToken(props: Outputs): Promise<{ token: string; accessor: string; content: string } | undefined> {
  const content = files.readIfExists(props.tokenFile);
  if (content === undefined || content === props.tokenFileContent) return undefined;
  let token: unknown;
  try {
    token = JSON.parse(content)?.auth?.client_token;
  } catch {
    return undefined;
  }
  if (typeof token !== "string" || token === "" || token === props.token) return undefined;
  const self = await store.lookupSelf(props, token);
  if (!self || !self.policies.includes(props.policyName)) return undefined;
  if ((await store.lookupSelfEntity(props, token))?.entityId !== props.entityId) return undefined;
  return { token, accessor: self.accessor, content };
}

/** What is wrong now, if anything (the first thing found). With `news` (a diff), prints what `up` will do. */
async function liveState(props: Outputs, news?: Inputs): Promise<Live> {
  if ((await store.sealStatus(props)).sealed) return "unknown-sealed";
  const window = (news ?? props).renewBefore;
  const health = await store.tokenHealth(props, props.token, props.period, window);
  const say = (line: string): void => {
    if (news) console.error(`${props.service}: ${line}`); // shown in the preview's diagnostics
  };
  if (health.state === "invalid") {
    if (await recoveredToken(props)) {
      say("its token was made anew by the token recovery service: the stack takes it over (its token file is kept)");
      return "token-recovered";
    }
    say("its secret-store token expired or was revoked: a new login replaces it (its token file is rewritten)");
    return "token-invalid";
  }
  const found = await store.withRootToken(props, props.unsealKeys, async (admin): Promise<Live | undefined> => {
    const entity = await store.readEntity(props, admin, props.service);
    const self = await store.lookupSelfEntity(props, props.token);
    if (!entity || entity.id !== props.entityId || self?.entityId !== entity.id || !entity.policies.includes(props.policyName) || !entity.aliases.some((a) => a.mountAccessor === props.userpassAccessor && a.name === props.service)) {
      say("its identity entity is gone or changed: it is made again and a new login replaces the token");
      return "entity-changed";
    }
    if ((await store.readPolicy(props, admin, props.policyName))?.trim() !== props.policy.trim()) {
      say(`its policy ${props.policyName} is gone or changed: it is written again`);
      return "policy-changed";
    }
    if (!(await store.userpassUserExists(props, admin, props.userpassPath, props.service))) {
      say("its userpass login is gone: it is made again");
      return "login-missing";
    }
    const role = await store.readOidcRole(props, admin, props.service);
    if (!role || role.key !== props.oidcKey || role.ttl !== props.oidcTtlSeconds || role.clientId !== props.oidcClientId || !sameJson(role.template, props.oidcTemplate)) {
      say("its OIDC role is gone or changed: it is written again");
      return "oidc-role-changed";
    }
    if (props.tokenRole) {
      const tokenRole = await store.readTokenRole(props, admin, props.service);
      const want = tokenRoleOf(props);
      if (!tokenRole || JSON.stringify(tokenRole.allowedPolicies) !== JSON.stringify(want.allowedPolicies) || JSON.stringify(tokenRole.allowedEntityAliases) !== JSON.stringify(want.allowedEntityAliases) || !tokenRole.orphan || !tokenRole.renewable) {
        say("its token role is gone or changed: it is written again");
        return "token-role-changed";
      }
    }
    return undefined;
  });
  if (found) return found;
  if (!(await store.capabilitiesSelf(props, props.token, props.checkPath)).includes("read")) return "policy-missing";
  const file = files.fileState(props.tokenFile, props.tokenFileContent);
  if (file !== "intact") {
    say(`its token file ${props.tokenFile} is ${file}: it is written again`);
    return file === "missing" ? "file-missing" : "file-changed";
  }
  const message = news && store.tokenHealthMessage(props.service, health, props.period, window);
  if (message) console.error(message);
  return health.state === "renewal-due" ? "renewal-due" : "intact";
}

async function apply(inputs: Inputs, old?: Outputs): Promise<Outputs> {
  const live = old ? await liveState(old) : "token-invalid";
  const password = old?.password ?? require("node:crypto").randomBytes(PASSWORD_BYTES).toString("base64");
  const sameIdentity = old !== undefined && old.service === inputs.service && old.userpassPath === inputs.userpassPath && old.period === inputs.period && (old.rotation ?? 0) === (inputs.rotation ?? 0);
  let { token, accessor, tokenFileContent: content } = old ?? { token: "", accessor: "", tokenFileContent: "" };
  const recovered = live === "token-recovered" ? await recoveredToken(old!) : undefined;
  if (recovered) ({ token, accessor, content } = recovered);
  const keepable = live !== "token-invalid" && live !== "entity-changed" && live !== "unknown-sealed" && (live !== "token-recovered" || recovered !== undefined);
  let entityId = old?.entityId ?? "";
  await store.withRootToken(inputs, inputs.unsealKeys, async (admin) => {
    await store.writePolicy(inputs, admin, inputs.policyName, inputs.policy);
    if (old && old.policyName !== inputs.policyName) await store.deletePolicy(inputs, admin, old.policyName);
    const entity = await store.writeEntity(inputs, admin, inputs.service, [inputs.policyName], { name: inputs.service });
    if (!entity.aliases.some((a) => a.mountAccessor === inputs.userpassAccessor && a.name === inputs.service)) await store.createEntityAlias(inputs, admin, inputs.service, entity.id, inputs.userpassAccessor);
    await store.writePeriodicUserpassUser(inputs, admin, inputs.userpassPath, inputs.service, { password, tokenPeriod: inputs.period });
    await store.writeOidcRole(inputs, admin, inputs.service, { key: inputs.oidcKey, ttl: inputs.oidcTtlSeconds, clientId: inputs.oidcClientId, template: inputs.oidcTemplate });
    if (inputs.tokenRole) await store.writeTokenRole(inputs, admin, inputs.service, tokenRoleOf(inputs));
    else if (old?.tokenRole) await store.deleteTokenRole(inputs, admin, inputs.service);
    if (sameIdentity && keepable && entity.id === old!.entityId) {
      // A kept token is renewed whenever `up` touches it: its TTL starts again at the period.
      await store.renewToken(inputs, admin, token);
      return;
    }
    if (accessor) await store.revokeAccessor(inputs, admin, accessor);
    const response = await store.userpassLoginResponse(inputs, inputs.userpassPath, inputs.service, password);
    if (!response) throw new store.SecretStoreError(`the secret store at ${inputs.address} refused the userpass login of ${inputs.service} it was just given`);
    token = response.auth.client_token;
    accessor = response.auth.accessor;
    entityId = response.auth.entity_id;
    content = `${JSON.stringify(response, null, 2)}\n`;
  });
  if (old && old.tokenFile !== inputs.tokenFile && files.readIfExists(old.tokenFile) === old.tokenFileContent) files.removeFile(old.tokenFile);
  if (files.fileState(inputs.tokenFile, content) !== "intact") {
    await files.writeFileAtomically(inputs.tokenFile, content, files.SECRET_FILE_MODE, { uid: inputs.uid, gid: inputs.gid });
  }
  return { ...inputs, password, token, accessor, entityId, tokenFileContent: content, live: "intact" };
}

export const provider = implement<Inputs, Outputs>({
  async check(_olds, news) {
    const failures = [];
    if (!/^\d+[smh]$/.test(news.period)) failures.push({ property: "period", reason: "must be a duration such as 1h, 90m or 3600s" });
    if (typeof news.tokenFile !== "string" || !news.tokenFile.startsWith("/")) failures.push({ property: "tokenFile", reason: "must be an absolute path" });
    if (news.renewBefore !== undefined && !/^\d+[smh]$/.test(news.renewBefore)) failures.push({ property: "renewBefore", reason: "must be a duration such as 8h, 90m or 3600s" });
    if (news.rotation !== undefined && !(Number.isInteger(news.rotation) && news.rotation >= 0)) failures.push({ property: "rotation", reason: "must be a whole number, 0 or more" });
    return { inputs: news, failures };
  },

  async create(inputs) {
    return { id: inputs.service, outs: await apply(inputs) };
  },

  async read(id, props) {
    const live = await liveState(props);
    // A sealed store cannot be asked: keep what the state says, the unseal comes first.
    return { id, props: { ...props, live: live === "unknown-sealed" ? props.live : live } };
  },

  async diff(_id, olds, news) {
    const replaces: string[] = changedKeys(olds, news, ["service"]);
    const changed: string[] = changedKeys(olds, news, [
      "address", "caPem", "connectTimeoutSeconds", "unsealKeys", "policyName", "policy", "checkPath", "userpassPath", "userpassAccessor",
      "oidcKey", "oidcClientId", "oidcTtlSeconds", "oidcTemplate", "tokenRole", "period", "tokenFile", "uid", "gid", "rotation",
    ]);
    if (replaces.length === 0) {
      const live = await liveState(olds, news);
      if (live !== "intact" && live !== "unknown-sealed") changed.push("live");
    }
    return { changes: replaces.length + changed.length > 0, replaces };
  },

  async update(_id, olds, news) {
    return { outs: await apply(news, olds) };
  },

  async delete(_id, props) {
    await store.withRootToken(props, props.unsealKeys, async (admin) => {
      await store.revokeAccessor(props, admin, props.accessor);
      if (props.tokenRole) await store.deleteTokenRole(props, admin, props.service);
      await store.deleteOidcRole(props, admin, props.service);
      if (await store.readAuthMount(props, admin, props.userpassPath)) await store.deleteUserpassUser(props, admin, props.userpassPath, props.service);
      await store.deleteEntity(props, admin, props.service);
      await store.deletePolicy(props, admin, props.policyName);
    });
    if (files.readIfExists(props.tokenFile) === props.tokenFileContent) files.removeFile(props.tokenFile);
  },
});
