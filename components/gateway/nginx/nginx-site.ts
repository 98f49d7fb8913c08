// Dynamic resource: the NGINX gateway's configuration folder. The gateway's certificate and key are read back from
// the secret store (where the stack stored them) and written 0600; nginx.conf is generated from the route mapping,
// checked with `nginx -t` before it replaces the running one, then NGINX is reloaded. `refresh` sees a hand-edited
// or missing file and a certificate rotated in the store; `up` writes them again.
import * as pulumi from "@pulumi/pulumi";
import type { NginxSite as Site } from "./nginx";
import type { SecretStoreAdmin, SecretStoreAdminArgs } from "../../secret-store/admin";

export interface NginxSiteInputs extends SecretStoreAdminArgs {
  /** KV mount and path (inside it) of the gateway's { cert, key }. */
  mount: pulumi.Input<string>;
  tlsPath: pulumi.Input<string>;
  /** The certificate the stack stored (a change makes the site read the store again). */
  certPem: pulumi.Input<string>;
  site: pulumi.Input<Site>;
  audience: pulumi.Input<string>;
  algorithm: pulumi.Input<string>;
  nginxBin: pulumi.Input<string>;
}

interface Inputs extends SecretStoreAdmin {
  mount: string;
  tlsPath: string;
  certPem: string;
  site: Site;
  audience: string;
  algorithm: string;
  nginxBin: string;
}

interface Outputs extends Inputs {
  confSha256: string;
  certSha256: string;
  authSha256: string;
  live: "intact" | "missing" | "changed" | "store-changed";
}

async function apply(inputs: Inputs): Promise<Outputs> {
  const store: typeof import("@edge-security/clients/secret-store") = require("@edge-security/clients/secret-store");
  const nginx: typeof import("@edge-security/clients/nginx") = require("@edge-security/clients/nginx");
  const entry = await store.withRootToken(inputs, inputs.unsealKeys, (admin) => store.kvRead(inputs, admin, inputs.mount, inputs.tlsPath));
  if (!entry?.cert || !entry?.key) throw new store.SecretStoreError(`the gateway's certificate and key are not in the secret store at ${inputs.mount}/${inputs.tlsPath}`);
  const applied = await nginx.applySite(inputs.site, { certPem: entry.cert, keyPem: entry.key }, inputs.caPem, nginx.authServiceConfig(inputs.site, inputs.audience, inputs.algorithm), inputs.nginxBin);
  return { ...inputs, confSha256: applied.confSha256, certSha256: applied.certSha256, authSha256: applied.authSha256, live: "intact" };
}

const provider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: Inputs) {
    return { id: inputs.site.configDir, outs: await apply(inputs) };
  },

  async read(id: string, props: Outputs) {
    const store: typeof import("@edge-security/clients/secret-store") = require("@edge-security/clients/secret-store");
    const nginx: typeof import("@edge-security/clients/nginx") = require("@edge-security/clients/nginx");
    let live: Outputs["live"] = nginx.siteState(props.site.configDir, props);
    if (live === "intact" && !(await store.sealStatus(props)).sealed) {
      const entry = await store.withRootToken(props, props.unsealKeys, (admin) => store.kvRead(props, admin, props.mount, props.tlsPath));
      if (!entry?.cert || nginx.sha256(entry.cert) !== props.certSha256) live = "store-changed";
    }
    return { id, props: { ...props, live } };
  },

  async diff(_id: string, olds: Outputs, news: Inputs) {
    const nginx: typeof import("@edge-security/clients/nginx") = require("@edge-security/clients/nginx");
    const replaces = olds.site.configDir !== news.site.configDir ? ["site.configDir"] : [];
    const changed: string[] = (["address", "caPem", "connectTimeoutSeconds", "mount", "tlsPath", "certPem", "audience", "algorithm", "nginxBin"] as const).filter((k) => olds[k] !== news[k]);
    if (JSON.stringify(olds.site) !== JSON.stringify(news.site)) changed.push("site");
    if (JSON.stringify(olds.unsealKeys) !== JSON.stringify(news.unsealKeys)) changed.push("unsealKeys");
    // The files are looked at on every preview, so a hand edit is repaired by `up` without a refresh.
    if (olds.live !== "intact" || nginx.siteState(olds.site.configDir, olds) !== "intact") changed.push("live");
    return { changes: replaces.length + changed.length > 0, replaces };
  },

  async update(_id: string, _olds: Outputs, news: Inputs) {
    return { outs: await apply(news) };
  },

  async delete(_id: string, props: Outputs) {
    const nginx: typeof import("@edge-security/clients/nginx") = require("@edge-security/clients/nginx");
    nginx.removeSite(props.site.configDir);
  },
};

export class NginxSite extends pulumi.dynamic.Resource {
  declare readonly confSha256: pulumi.Output<string>;
  declare readonly certSha256: pulumi.Output<string>;

  constructor(name: string, args: NginxSiteInputs, opts?: pulumi.CustomResourceOptions) {
    super(provider, name, { ...args, confSha256: undefined, certSha256: undefined, authSha256: undefined, live: undefined }, pulumi.mergeOptions(opts, { additionalSecretOutputs: ["unsealKeys"] }), "edge-security", "NginxSite");
  }
}
