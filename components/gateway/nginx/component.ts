// The NGINX gateway (EdgeX 3/4's shape): users and tokens in the secret store's identity engine, and NGINX's
// configuration generated from the route mapping, with the gateway's TLS certificate read back from the store.
// NGINX and the auth service run beside the graph (scripts/servers/nginx.sh, gateway-auth.sh): they wait for the
// gateway service's readiness file, which is written after everything here.
import { join } from "node:path";
import * as pulumi from "../../shared/pulumi";
import { durationSeconds, userPaths } from "./gateway-users";
import type { GatewayConfig } from "../config";
import { DEFAULT_NGINX_CONFIG, STORE_PASSTHROUGH_PATH } from "./config";
import { GatewayIdentity } from "./gateway-identity";
import { GatewayUser } from "./gateway-user";
import { NginxSite } from "./nginx-site";
import type { SecretStore } from "../../secret-store/component";

export interface NginxGatewayArgs {
  readonly config: GatewayConfig;
  readonly secretsRoot: string;
  readonly secretStore: SecretStore;
  readonly caCertPath: pulumi.Input<string>;
  /** The DNS name NGINX checks in the store's certificate. */
  readonly storeTlsName: string;
  /** The NGINX binary (default "nginx" on PATH). */
  readonly nginxBin?: string;
}

export interface NginxGatewayOutputs {
  kind: "nginx";
  url: string;
  caCertPath: pulumi.Output<string>;
  configDir: string;
  routes: Record<string, string>;
  users: Record<string, { loginPath: string; tokenPath: string }>;
}

/** The stack outputs' `gateway` for NGINX: the component's outputs with each user's password (a secret). */
export type NginxGatewayStackOutputs = Omit<NginxGatewayOutputs, "users"> & { users: Record<string, { loginPath: string; tokenPath: string; password: pulumi.Output<string> }> };

export class NginxGateway extends pulumi.ComponentResource {
  readonly outputs: NginxGatewayOutputs;
  /** The users' generated passwords (Pulumi secrets). */
  readonly passwords: Record<string, pulumi.Output<string>> = {};
  /** What must exist before the gateway's readiness file (NGINX and the auth service start on it). */
  readonly resources: pulumi.Resource[];

  constructor(name: string, args: NginxGatewayArgs, opts?: pulumi.ComponentResourceOptions) {
    super("edge-security:gateway:NginxGateway", name, {}, opts);
    const settings = args.config.nginx ?? DEFAULT_NGINX_CONFIG;
    const store = args.secretStore;
    const tls = store.gatewayTls;
    if (!tls) throw new Error("NginxGateway: the secret store keeps no gateway certificate (secretStore.gatewayService)");
    const admin = store.adminAccess;
    const configDir = settings.configDir ?? join(args.secretsRoot, args.config.service, "nginx");

    const identity = new GatewayIdentity(
      `${name}-identity`,
      // The issuer is the unsealed store's address: so this runs after the unseal.
      { ...admin, userpassPath: settings.userpassPath, keyName: settings.keyName, algorithm: settings.keyAlgorithm, issuer: store.address },
      { parent: this },
    );
    const users = settings.users.map((user) => {
      const resource = new GatewayUser(
        `${name}-user-${user.name}`,
        {
          ...admin,
          name: user.name,
          groups: user.groups,
          userpassPath: identity.userpassPath,
          userpassAccessor: identity.userpassAccessor,
          keyName: identity.keyName,
          audience: settings.audience,
          tokenTtlSeconds: durationSeconds(user.tokenTtl ?? settings.tokenTtl),
        },
        { parent: this },
      );
      this.passwords[user.name] = resource.password;
      return resource;
    });

    const site = new NginxSite(
      `${name}-site`,
      {
        ...admin,
        mount: tls.mount,
        tlsPath: tls.path,
        certPem: tls.resource.certPem,
        site: pulumi.output(store.address).apply((storeAddress) => ({
          configDir,
          listen: settings.listen,
          authListen: settings.authListen,
          storeAddress,
          storeTlsName: args.storeTlsName,
          userpassPath: settings.userpassPath,
          routes: args.config.routes.map(({ name: routeName, path, protocol, host, port, upstreamPath, public: isPublic, groups }) => ({ name: routeName, path, protocol, host, port, upstreamPath, public: isPublic, groups })),
        })),
        audience: settings.audience,
        algorithm: settings.keyAlgorithm,
        nginxBin: args.nginxBin ?? "nginx",
      },
      // The identity key exists before NGINX passes token requests through.
      { parent: this, dependsOn: [tls.resource, identity] },
    );
    this.resources = [identity, ...users, site];

    this.outputs = {
      kind: "nginx",
      url: `https://${settings.listen}`,
      caCertPath: pulumi.output(args.caCertPath),
      configDir,
      routes: Object.fromEntries(args.config.routes.map((r) => [r.name, r.path])),
      users: Object.fromEntries(settings.users.map((u) => [u.name, userPaths(STORE_PASSTHROUGH_PATH, settings.userpassPath, u.name)])),
    };
    this.registerOutputs({ ...this.outputs });
  }
}
