// Dynamic resource: one service's secret-store access: its policy (its own KV path only) and a periodic orphan
// token with that policy, written to the service's folder as secrets-token.json (0600, the store's own token
// response). A token that expired or was revoked, a policy gone, or a token file lost (reboot) is seen by
// `refresh`/`preview` and made good by `up`, without touching the service's other secrets.
import * as pulumi from "@pulumi/pulumi";
import type { SecretStoreAdmin, SecretStoreAdminArgs } from "./admin";

export interface ServiceSecretTokenInputs extends SecretStoreAdminArgs {
  service: pulumi.Input<string>;
  policyName: pulumi.Input<string>;
  policy: pulumi.Input<string>;
  /** A path the token must be able to read (its own secrets), to tell a working token from a useless one. */
  checkPath: pulumi.Input<string>;
  period: pulumi.Input<string>;
  tokenFile: pulumi.Input<string>;
  uid?: pulumi.Input<number>;
  gid?: pulumi.Input<number>;
}

interface Inputs extends SecretStoreAdmin {
  service: string;
  policyName: string;
  policy: string;
  checkPath: string;
  period: string;
  tokenFile: string;
  uid?: number;
  gid?: number;
}

type Live = "intact" | "token-invalid" | "policy-missing" | "file-missing" | "file-changed" | "unknown-sealed";

interface Outputs extends Inputs {
  accessor: string;
  token: string;
  tokenFileContent: string;
  live: Live;
}

/** What is wrong with the token and its file now, if anything (needs no root: the token checks itself). */
async function liveState(props: Outputs): Promise<Live> {
  const store: typeof import("@edge-security/clients/secret-store") = require("@edge-security/clients/secret-store");
  const files: typeof import("@edge-security/clients/files") = require("@edge-security/clients/files");
  const status = await store.sealStatus(props);
  if (status.sealed) return "unknown-sealed";
  if (!(await store.lookupSelf(props, props.token))) return "token-invalid";
  if (!(await store.capabilitiesSelf(props, props.token, props.checkPath)).includes("read")) return "policy-missing";
  const file = files.fileState(props.tokenFile, props.tokenFileContent);
  return file === "intact" ? "intact" : file === "missing" ? "file-missing" : "file-changed";
}

async function issue(inputs: Inputs, old?: Outputs): Promise<Outputs> {
  const store: typeof import("@edge-security/clients/secret-store") = require("@edge-security/clients/secret-store");
  const files: typeof import("@edge-security/clients/files") = require("@edge-security/clients/files");
  const live = old ? await liveState(old) : "token-invalid";
  const keepToken = old && (live === "intact" || live === "policy-missing" || live === "file-missing" || live === "file-changed") && old.period === inputs.period && old.policyName === inputs.policyName;
  let token = old?.token ?? "";
  let accessor = old?.accessor ?? "";
  let content = old?.tokenFileContent ?? "";
  await store.withRootToken(inputs, inputs.unsealKeys, async (admin) => {
    await store.writePolicy(inputs, admin, inputs.policyName, inputs.policy);
    if (old && old.policyName !== inputs.policyName) await store.deletePolicy(inputs, admin, old.policyName);
    if (!keepToken) {
      if (old) await store.revokeAccessor(inputs, admin, old.accessor);
      const response = await store.createPeriodicToken(inputs, admin, { policies: [inputs.policyName], period: inputs.period, displayName: inputs.service, meta: { service: inputs.service, issuedBy: "edge-security" } });
      token = response.auth.client_token;
      accessor = response.auth.accessor;
      content = `${JSON.stringify(response, null, 2)}\n`;
    }
  });
  if (old && old.tokenFile !== inputs.tokenFile && files.readIfExists(old.tokenFile) === old.tokenFileContent) files.removeFile(old.tokenFile);
  if (files.fileState(inputs.tokenFile, content) !== "intact") {
    await files.writeFileAtomically(inputs.tokenFile, content, files.SECRET_FILE_MODE, { uid: inputs.uid, gid: inputs.gid });
  }
  return { ...inputs, token, accessor, tokenFileContent: content, live: "intact" };
}

const provider: pulumi.dynamic.ResourceProvider = {
  async check(_olds: Inputs, news: Inputs) {
    const failures = [];
    if (!/^\d+[smh]$/.test(news.period)) failures.push({ property: "period", reason: "must be a duration such as 24h, 90m or 3600s" });
    if (typeof news.tokenFile !== "string" || !news.tokenFile.startsWith("/")) failures.push({ property: "tokenFile", reason: "must be an absolute path" });
    return { inputs: news, failures };
  },

  async create(inputs: Inputs) {
    const outs = await issue(inputs);
    return { id: inputs.service, outs };
  },

  async read(id: string, props: Outputs) {
    const outs = { ...props, live: await liveState(props) };
    // A sealed store cannot be asked: keep what the state says, the unseal comes first.
    if (outs.live === "unknown-sealed") outs.live = props.live;
    return { id, props: outs };
  },

  async diff(_id: string, olds: Outputs, news: Inputs) {
    const changed: string[] = (["address", "caPem", "connectTimeoutSeconds", "service", "policyName", "policy", "checkPath", "period", "tokenFile", "uid", "gid"] as const).filter((k) => (olds[k] ?? null) !== (news[k] ?? null));
    if (JSON.stringify(olds.unsealKeys) !== JSON.stringify(news.unsealKeys)) changed.push("unsealKeys");
    const live = await liveState(olds);
    if (live !== "intact" && live !== "unknown-sealed") changed.push("live");
    return { changes: changed.length > 0 };
  },

  async update(_id: string, olds: Outputs, news: Inputs) {
    return { outs: await issue(news, olds) };
  },

  async delete(_id: string, props: Outputs) {
    const store: typeof import("@edge-security/clients/secret-store") = require("@edge-security/clients/secret-store");
    const files: typeof import("@edge-security/clients/files") = require("@edge-security/clients/files");
    await store.withRootToken(props, props.unsealKeys, async (admin) => {
      await store.revokeAccessor(props, admin, props.accessor);
      await store.deletePolicy(props, admin, props.policyName);
    });
    if (files.readIfExists(props.tokenFile) === props.tokenFileContent) files.removeFile(props.tokenFile);
  },
};

export class ServiceSecretToken extends pulumi.dynamic.Resource {
  declare readonly tokenFile: pulumi.Output<string>;
  declare readonly accessor: pulumi.Output<string>;

  constructor(name: string, args: ServiceSecretTokenInputs, opts?: pulumi.CustomResourceOptions) {
    super(
      provider,
      name,
      { ...args, accessor: undefined, token: undefined, tokenFileContent: undefined, live: undefined },
      pulumi.mergeOptions(opts, { additionalSecretOutputs: ["unsealKeys", "token", "tokenFileContent"] }),
      "edge-security",
      "ServiceSecretToken",
    );
  }
}
