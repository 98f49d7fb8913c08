// Dynamic resource: the NGINX gateway's configuration folder. The gateway's certificate and key are read back from
// the secret store (where the stack stored them) and written 0600; nginx.conf is generated from the route mapping,
// checked with `nginx -t` before it replaces the running one, then NGINX is reloaded. `refresh` sees a hand-edited
// or missing file and a certificate rotated in the store; `up` writes them again.
import * as pulumi from "../../shared/pulumi";
import { ThinResource, thinProvider } from "../../shared/dynamic-resource";
import type { AuthCheckOptions, NginxSite as Site } from "./nginx";
import type { SecretStoreAdminArgs } from "../../secret-store/admin";

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
  /**
   * Set (the EdgeX 4 layout, whose KV v1 store keeps no gateway certificate, as EdgeX's proxy-setup keeps it in
   * files): the key is read from this file of the node's PKI and the certificate is `certPem`; mount and tlsPath unused.
   */
  keyPath?: pulumi.Input<string>;
  /** How the auth service checks tokens (the tokens' `iss`, introspection); unset: local verification. */
  authCheck?: pulumi.Input<AuthCheckOptions>;
}

export class NginxSite extends ThinResource {
  declare readonly confSha256: pulumi.Output<string>;
  declare readonly certSha256: pulumi.Output<string>;

  constructor(name: string, args: NginxSiteInputs, opts?: pulumi.CustomResourceOptions) {
    super(thinProvider("gateway/nginx/nginx-site"), name, { ...args, confSha256: undefined, certSha256: undefined, authSha256: undefined, live: undefined }, pulumi.mergeOptions(opts, { additionalSecretOutputs: ["unsealKeys"] }), "edge-security", "NginxSite");
  }
}
