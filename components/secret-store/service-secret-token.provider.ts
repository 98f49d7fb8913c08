// ServiceSecretToken's provider logic, loaded by name in the provider host (see components/shared/dynamic-resource.ts).
import type * as pulumi from "@pulumi/pulumi";
import { changedKeys, implement } from "../shared/dynamic-resource";
import * as files from "../shared/files";
import * as store from "./client";
import type { ServiceSecretTokenInputs } from "./service-secret-token";

type Inputs = pulumi.Unwrap<ServiceSecretTokenInputs>;

type Live = "intact" | "token-invalid" | "policy-missing" | "file-missing" | "file-changed" | "renewal-due" | "unknown-sealed";

interface Outputs extends Inputs {
  accessor: string;
  token: string;
  tokenFileContent: string;
  live: Live;
}

/**
 * What is wrong with the token and its file now, if anything (needs no root: the token checks itself). With
 * `news` (a diff) the renewal window is the new config's, and what the next `up` will do is printed.
 */
async function liveState(props: Outputs, news?: Inputs): Promise<Live> {
  const status = await store.sealStatus(props);
  if (status.sealed) return "unknown-sealed";
  const window = (news ?? props).renewBefore;
  const health = await store.tokenHealth(props, props.token, props.period, window);
  const message = news && store.tokenHealthMessage(props.service, health, props.period, window);
  if (message) console.error(message); // the CLI shows a provider's stderr lines in the preview's diagnostics
  if (health.state === "invalid") return "token-invalid";
  if (!(await store.capabilitiesSelf(props, props.token, props.checkPath)).includes("read")) return "policy-missing";
  const file = files.fileState(props.tokenFile, props.tokenFileContent);
  if (file !== "intact") return file === "missing" ? "file-missing" : "file-changed";
  return health.state === "renewal-due" ? "renewal-due" : "intact";
}

async function issue(inputs: Inputs, old?: Outputs): Promise<Outputs> {
  const live = old ? await liveState(old) : "token-invalid";
  const keepToken =
    old && (live === "intact" || live === "policy-missing" || live === "file-missing" || live === "file-changed" || live === "renewal-due") && old.period === inputs.period && old.policyName === inputs.policyName && (old.rotation ?? 0) === (inputs.rotation ?? 0);
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
    } else {
      // A kept token is renewed whenever `up` touches it: its TTL starts again at the period.
      await store.renewToken(inputs, admin, token);
    }
  });
  if (old && old.tokenFile !== inputs.tokenFile && files.readIfExists(old.tokenFile) === old.tokenFileContent) files.removeFile(old.tokenFile);
  if (files.fileState(inputs.tokenFile, content) !== "intact") {
    await files.writeFileAtomically(inputs.tokenFile, content, files.SECRET_FILE_MODE, { uid: inputs.uid, gid: inputs.gid });
  }
  return { ...inputs, token, accessor, tokenFileContent: content, live: "intact" };
}

export const provider = implement<Inputs, Outputs>({
  async check(_olds, news) {
    const failures = [];
    if (!/^\d+[smh]$/.test(news.period)) failures.push({ property: "period", reason: "must be a duration such as 24h, 90m or 3600s" });
    if (typeof news.tokenFile !== "string" || !news.tokenFile.startsWith("/")) failures.push({ property: "tokenFile", reason: "must be an absolute path" });
    if (news.renewBefore !== undefined && !/^\d+[smh]$/.test(news.renewBefore)) failures.push({ property: "renewBefore", reason: "must be a duration such as 8h, 90m or 3600s" });
    if (news.rotation !== undefined && !(Number.isInteger(news.rotation) && news.rotation >= 0)) failures.push({ property: "rotation", reason: "must be a whole number, 0 or more" });
    return { inputs: news, failures };
  },

  async create(inputs) {
    const outs = await issue(inputs);
    return { id: inputs.service, outs };
  },

  async read(id, props) {
    const outs = { ...props, live: await liveState(props) };
    // A sealed store cannot be asked: keep what the state says, the unseal comes first.
    if (outs.live === "unknown-sealed") outs.live = props.live;
    return { id, props: outs };
  },

  async diff(_id, olds, news) {
    const changed: string[] = changedKeys(olds, news, ["address", "caPem", "connectTimeoutSeconds", "service", "policyName", "policy", "checkPath", "period", "tokenFile", "uid", "gid", "unsealKeys", "rotation"]);
    const live = await liveState(olds, news);
    if (live !== "intact" && live !== "unknown-sealed") changed.push("live");
    return { changes: changed.length > 0 };
  },

  async update(_id, olds, news) {
    return { outs: await issue(news, olds) };
  },

  async delete(_id, props) {
    await store.withRootToken(props, props.unsealKeys, async (admin) => {
      await store.revokeAccessor(props, admin, props.accessor);
      await store.deletePolicy(props, admin, props.policyName);
    });
    if (files.readIfExists(props.tokenFile) === props.tokenFileContent) files.removeFile(props.tokenFile);
  },
});
