// TokenRecovery's provider logic, loaded by name in the provider host (see components/shared/dynamic-resource.ts).
import type * as pulumi from "@pulumi/pulumi";
import { changedKeys, implement } from "../shared/dynamic-resource";
import * as files from "../shared/files";
import * as store from "./client";
import type { TokenRecoveryConfig, TokenRecoveryInputs } from "./token-recovery";

type Inputs = pulumi.Unwrap<TokenRecoveryInputs>;
type Live = "intact" | "policy-changed" | "role-changed" | "secret-id-missing" | "alias-missing" | "file-missing" | "file-changed" | "unknown-sealed";

interface Outputs extends Inputs {
  roleId: string;
  secretId: string;
  secretIdAccessor: string;
  tokenAccessor: string;
  configContent: string;
  /** The AppRole mount was enabled by this resource (disabled again on delete). */
  enabledMount: boolean;
  live: Live;
}

/**
 * Only tokens through the services' own token roles (sudo there: the store makes a periodic token only for a sudo
 * caller unless the role sets a period; each role still allows only its service's policy and entity alias), and
 * reading those services' entities.
 */
export function recoveryPolicy(services: string[]): string {
  return services
    .flatMap((s) => [
      `path "auth/token/create/${s}" {\n  capabilities = ["create", "update", "sudo"]\n}`,
      `path "identity/entity/name/${s}" {\n  capabilities = ["read"]\n}`,
    ])
    .join("\n");
}

function configOf(inputs: Inputs, roleId: string, secretId: string): string {
  const config: TokenRecoveryConfig = {
    address: inputs.address,
    caPem: inputs.caPem,
    appRole: { mount: inputs.appRolePath, roleId, secretId },
    tokenPeriod: inputs.tokenPeriod,
    listen: { host: inputs.listenHost, port: inputs.port },
    services: Object.fromEntries(inputs.services.map((s) => [s.name, { policies: s.policies, tokenFile: s.tokenFile, ...(s.uid !== undefined ? { uid: s.uid } : {}), ...(s.gid !== undefined ? { gid: s.gid } : {}) }])),
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

const sameList = (a: string[], b: string[]): boolean => JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());

async function liveState(props: Outputs, news?: Inputs): Promise<Live> {
  if ((await store.sealStatus(props)).sealed) return "unknown-sealed";
  const say = (line: string): void => {
    if (news) console.error(`token recovery: ${line}`);
  };
  const found = await store.withRootToken(props, props.unsealKeys, async (admin): Promise<Live | undefined> => {
    if ((await store.readPolicy(props, admin, props.policyName))?.trim() !== recoveryPolicy(props.services.map((s) => s.name)).trim()) {
      say(`its policy ${props.policyName} is gone or changed: it is written again`);
      return "policy-changed";
    }
    const role = (await store.readAuthMount(props, admin, props.appRolePath)) ? await store.readAppRole(props, admin, props.appRolePath, props.roleName) : undefined;
    if (!role || role.roleId !== props.roleId || !sameList(role.tokenPolicies, [props.policyName]) || !sameList(role.boundCidrs, props.boundCidrs)) {
      say(`its AppRole ${props.roleName} is gone or changed: it is written again`);
      return "role-changed";
    }
    if (!(await store.listAppRoleSecretIdAccessors(props, admin, props.appRolePath, props.roleName)).includes(props.secretIdAccessor)) {
      say("its secret id is gone: a new one is made and its settings file rewritten");
      return "secret-id-missing";
    }
    for (const s of props.services) {
      const aliases = (await store.readEntityAliases(props, admin, s.name)) ?? [];
      if (!aliases.some((a) => a.name === s.name && a.mountAccessor === props.tokenAccessor)) {
        say(`${s.name}'s alias on the token mount is gone: it is made again`);
        return "alias-missing";
      }
    }
    return undefined;
  });
  if (found) return found;
  const file = files.fileState(props.configFile, props.configContent);
  if (file !== "intact") say(`its settings file ${props.configFile} is ${file}: it is written again`);
  return file === "intact" ? "intact" : file === "missing" ? "file-missing" : "file-changed";
}

async function apply(inputs: Inputs, old?: Outputs): Promise<Outputs> {
  const names = inputs.services.map((s) => s.name);
  const result = await store.withRootToken(inputs, inputs.unsealKeys, async (admin) => {
    let enabledMount = old?.enabledMount ?? false;
    if (!(await store.readAuthMount(inputs, admin, inputs.appRolePath))) {
      await store.enableAuth(inputs, admin, inputs.appRolePath, "approle", "edge-security: the token recovery service's login");
      enabledMount = true;
    }
    await store.writePolicy(inputs, admin, inputs.policyName, recoveryPolicy(names));
    if (old && old.policyName !== inputs.policyName) await store.deletePolicy(inputs, admin, old.policyName);
    if (old && (old.roleName !== inputs.roleName || old.appRolePath !== inputs.appRolePath)) await store.deleteAppRole(inputs, admin, old.appRolePath, old.roleName);
    await store.writeAppRole(inputs, admin, inputs.appRolePath, inputs.roleName, { tokenPolicies: [inputs.policyName], tokenPeriod: "15m", boundCidrs: inputs.boundCidrs });
    const role = await store.readAppRole(inputs, admin, inputs.appRolePath, inputs.roleName);
    if (!role) throw new store.SecretStoreError(`the secret store at ${inputs.address} did not keep the AppRole ${inputs.roleName}`);
    let secretId = old?.secretId ?? "";
    let secretIdAccessor = old?.secretIdAccessor ?? "";
    const live = await store.listAppRoleSecretIdAccessors(inputs, admin, inputs.appRolePath, inputs.roleName);
    if (!secretIdAccessor || !live.includes(secretIdAccessor) || old?.roleName !== inputs.roleName) {
      ({ secretId, accessor: secretIdAccessor } = await store.createAppRoleSecretId(inputs, admin, inputs.appRolePath, inputs.roleName));
    }
    // Secret ids this resource does not hold (an earlier one, one made by hand) are destroyed: one login only.
    for (const accessor of live) if (accessor !== secretIdAccessor) await store.destroyAppRoleSecretId(inputs, admin, inputs.appRolePath, inputs.roleName, accessor);
    const tokenMount = await store.readAuthMount(inputs, admin, "token");
    if (!tokenMount) throw new store.SecretStoreError(`the secret store at ${inputs.address} has no token auth mount`);
    for (const s of inputs.services) {
      const aliases = await store.readEntityAliases(inputs, admin, s.name);
      if (!aliases) throw new store.SecretStoreError(`services: ${s.name} has no identity entity in the secret store at ${inputs.address}`);
      if (!aliases.some((a) => a.name === s.name && a.mountAccessor === tokenMount.accessor)) await store.createEntityAlias(inputs, admin, s.name, s.entityId, tokenMount.accessor);
    }
    // Services no longer listed lose their alias (their token role stays with their identity).
    for (const s of old?.services ?? []) {
      if (names.includes(s.name)) continue;
      for (const a of (await store.readEntityAliases(inputs, admin, s.name)) ?? []) if (a.mountAccessor === old!.tokenAccessor && a.name === s.name) await store.deleteEntityAlias(inputs, admin, a.id);
    }
    return { roleId: role.roleId, secretId, secretIdAccessor, tokenAccessor: tokenMount.accessor, enabledMount };
  });
  const content = configOf(inputs, result.roleId, result.secretId);
  if (old && old.configFile !== inputs.configFile && files.readIfExists(old.configFile) === old.configContent) files.removeFile(old.configFile);
  if (files.fileState(inputs.configFile, content) !== "intact") await files.writeFileAtomically(inputs.configFile, content, files.SECRET_FILE_MODE);
  return { ...inputs, ...result, configContent: content, live: "intact" };
}

export const provider = implement<Inputs, Outputs>({
  async check(_olds, news) {
    const failures = [];
    if (!/^\d+[smh]$/.test(news.tokenPeriod)) failures.push({ property: "tokenPeriod", reason: "must be a duration such as 1h, 90m or 3600s" });
    if (typeof news.configFile !== "string" || !news.configFile.startsWith("/")) failures.push({ property: "configFile", reason: "must be an absolute path" });
    if (!(Number.isInteger(news.port) && news.port > 0 && news.port < 65536)) failures.push({ property: "port", reason: "must be a TCP port (1-65535)" });
    if (!Array.isArray(news.services) || news.services.length === 0) failures.push({ property: "services", reason: "must list at least one service" });
    return { inputs: news, failures };
  },

  async create(inputs) {
    return { id: inputs.roleName, outs: await apply(inputs) };
  },

  async read(id, props) {
    const live = await liveState(props);
    return { id, props: { ...props, live: live === "unknown-sealed" ? props.live : live } };
  },

  async diff(_id, olds, news) {
    const replaces: string[] = changedKeys(olds, news, ["appRolePath"]);
    const changed: string[] = changedKeys(olds, news, ["address", "caPem", "connectTimeoutSeconds", "unsealKeys", "roleName", "policyName", "boundCidrs", "tokenPeriod", "listenHost", "port", "configFile", "services"]);
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
      for (const s of props.services) {
        for (const a of (await store.readEntityAliases(props, admin, s.name)) ?? []) if (a.mountAccessor === props.tokenAccessor && a.name === s.name) await store.deleteEntityAlias(props, admin, a.id);
      }
      if (await store.readAuthMount(props, admin, props.appRolePath)) {
        if (props.enabledMount) await store.disableAuth(props, admin, props.appRolePath);
        else await store.deleteAppRole(props, admin, props.appRolePath, props.roleName);
      }
      await store.deletePolicy(props, admin, props.policyName);
    });
    if (files.readIfExists(props.configFile) === props.configContent) files.removeFile(props.configFile);
  },
});
