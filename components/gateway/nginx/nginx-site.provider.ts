// NginxSite's provider logic, loaded by name in the provider host (see components/shared/dynamic-resource.ts).
import type * as pulumi from "@pulumi/pulumi";
import { changedKeys, implement } from "../../shared/dynamic-resource";
import { readIfExists } from "../../shared/files";
import * as nginx from "./nginx";
import * as store from "../../secret-store/client";
import type { NginxSiteInputs } from "./nginx-site";

type Inputs = pulumi.Unwrap<NginxSiteInputs>;

interface Outputs extends Inputs {
  confSha256: string;
  certSha256: string;
  authSha256: string;
  live: "intact" | "missing" | "changed" | "store-changed";
}

/** The gateway's certificate and key: from the node's PKI files (keyPath), else read back from the store. */
async function tlsOf(inputs: Inputs): Promise<{ cert?: string; key?: string } | undefined> {
  if (inputs.keyPath) return { cert: inputs.certPem, key: readIfExists(inputs.keyPath) };
  return store.withRootToken(inputs, inputs.unsealKeys, (admin) => store.kvRead(inputs, admin, inputs.mount, inputs.tlsPath));
}

async function apply(inputs: Inputs): Promise<Outputs> {
  const entry = await tlsOf(inputs);
  if (!entry?.cert || !entry?.key) throw new store.SecretStoreError(inputs.keyPath ? `the gateway's key file ${inputs.keyPath} cannot be read` : `the gateway's certificate and key are not in the secret store at ${inputs.mount}/${inputs.tlsPath}`);
  const applied = await nginx.applySite(inputs.site, { certPem: entry.cert, keyPem: entry.key }, inputs.caPem, nginx.authServiceConfig(inputs.site, inputs.audience, inputs.algorithm, inputs.authCheck ?? {}), inputs.nginxBin);
  return { ...inputs, confSha256: applied.confSha256, certSha256: applied.certSha256, authSha256: applied.authSha256, live: "intact" };
}

export const provider = implement<Inputs, Outputs>({
  async create(inputs) {
    return { id: inputs.site.configDir, outs: await apply(inputs) };
  },

  async read(id, props) {
    let live: Outputs["live"] = nginx.siteState(props.site.configDir, props);
    if (live === "intact" && !props.keyPath && !(await store.sealStatus(props)).sealed) {
      const entry = await store.withRootToken(props, props.unsealKeys, (admin) => store.kvRead(props, admin, props.mount, props.tlsPath));
      if (!entry?.cert || nginx.sha256(entry.cert) !== props.certSha256) live = "store-changed";
    }
    return { id, props: { ...props, live } };
  },

  async diff(_id, olds, news) {
    const replaces = changedKeys(olds.site, news.site, ["configDir"]).length > 0 ? ["site.configDir"] : [];
    const changed: string[] = changedKeys(olds, news, ["address", "caPem", "connectTimeoutSeconds", "mount", "tlsPath", "certPem", "audience", "algorithm", "nginxBin", "site", "unsealKeys", "keyPath", "authCheck"]);
    // The files are looked at on every preview, so a hand edit is repaired by `up` without a refresh.
    if (olds.live !== "intact" || nginx.siteState(olds.site.configDir, olds) !== "intact") changed.push("live");
    return { changes: replaces.length + changed.length > 0, replaces };
  },

  async update(_id, _olds, news) {
    return { outs: await apply(news) };
  },

  async delete(_id, props) {
    nginx.removeSite(props.site.configDir);
  },
});
