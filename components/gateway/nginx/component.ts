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
import { UserpassLockout } from "./userpass-lockout";
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
  /**
   * Set by a layout whose store already has an identity engine (userpass mount, OIDC key, issuer: the EdgeX 4
   * layout): the gateway makes no GatewayIdentity of its own; its users are made in the layout's shape on that
   * engine; the gateway's certificate and key come from the node's PKI files; the auth service can introspect
   * with the gateway service's own store token.
   */
  readonly layoutIdentity?: LayoutIdentity;
}

export interface LayoutIdentity {
  userpassPath: string;
  userpassAccessor: pulumi.Input<string>;
  keyName: string;
  /** The `iss` the store puts in identity tokens. */
  issuerClaim: string;
  /** A user as the layout makes one (policy, OIDC claims, token period). */
  user(name: string, groups: string[]): { policyName: string; policy: string; oidcTemplate: string; tokenPeriod: string };
  /** The gateway service's token file (a login response): the auth service introspects with it. */
  tokenFile: string;
  tls: { certPem: pulumi.Input<string>; keyPath: pulumi.Input<string> };
  /** What the users and the site wait for (the identity engine, the gateway service's identity). */
  dependsOn: pulumi.Resource[];
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
    const layout = args.layoutIdentity;
    const tls = store.gatewayTls;
    if (!tls && !layout) throw new Error("NginxGateway: the secret store keeps no gateway certificate (secretStore.gatewayService)");
    const admin = store.adminAccess;
    const configDir = settings.configDir ?? join(args.secretsRoot, args.config.service, "nginx");
    const check = settings.check ?? (layout ? "introspect" : "local");
    if (check === "introspect" && !layout) throw new Error("NginxGateway: introspection needs a layout's identity (the gateway service's token may introspect)");

    const identity = layout
      ? { userpassPath: pulumi.output(layout.userpassPath), userpassAccessor: pulumi.output(layout.userpassAccessor), keyName: pulumi.output(layout.keyName) }
      : new GatewayIdentity(
          `${name}-identity`,
          // The issuer is the unsealed store's address: so this runs after the unseal.
          { ...admin, userpassPath: settings.userpassPath, keyName: settings.keyName, algorithm: settings.keyAlgorithm, issuer: store.address },
          { parent: this },
        );
    const userpassPath = layout?.userpassPath ?? settings.userpassPath;
    const after = layout ? layout.dependsOn : [identity as GatewayIdentity];
    // The store's lockout, explicit (OpenBao's default would let anyone lock a user out through the gateway).
    const lockout = new UserpassLockout(
      `${name}-lockout`,
      { ...admin, userpassPath, threshold: settings.lockout.threshold, durationSeconds: durationSeconds(settings.lockout.duration) },
      { parent: this, dependsOn: after },
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
          ...(layout ? { edgex: layout.user(user.name, user.groups) } : {}),
        },
        { parent: this, dependsOn: after },
      );
      this.passwords[user.name] = resource.password;
      return resource;
    });

    const site = new NginxSite(
      `${name}-site`,
      {
        ...admin,
        mount: tls?.mount ?? "",
        tlsPath: tls?.path ?? "",
        certPem: tls ? tls.resource.certPem : layout!.tls.certPem,
        ...(layout && !tls ? { keyPath: layout.tls.keyPath } : {}),
        ...(layout ? { authCheck: { issuer: layout.issuerClaim, ...(check === "introspect" ? { introspectTokenFile: layout.tokenFile } : {}) } } : {}),
        site: pulumi.output(store.address).apply((storeAddress) => ({
          configDir,
          listen: settings.listen,
          authListen: settings.authListen,
          storeAddress,
          storeTlsName: args.storeTlsName,
          userpassPath,
          loginLimit: { rate: settings.loginRate, burst: settings.loginBurst },
          routes: args.config.routes.map(({ name: routeName, path, protocol, host, port, upstreamPath, public: isPublic, groups }) => ({ name: routeName, path, protocol, host, port, upstreamPath, public: isPublic, groups })),
        })),
        audience: settings.audience,
        algorithm: settings.keyAlgorithm,
        nginxBin: args.nginxBin ?? "nginx",
      },
      // The identity key exists before NGINX passes token requests through.
      { parent: this, dependsOn: [...(tls ? [tls.resource] : []), ...after] },
    );
    this.resources = [...(layout ? [] : [identity as GatewayIdentity]), lockout, ...users, site];

    this.outputs = {
      kind: "nginx",
      url: `https://${settings.listen}`,
      caCertPath: pulumi.output(args.caCertPath),
      configDir,
      routes: Object.fromEntries(args.config.routes.map((r) => [r.name, r.path])),
      users: Object.fromEntries(settings.users.map((u) => [u.name, userPaths(STORE_PASSTHROUGH_PATH, userpassPath, u.name)])),
    };
    this.registerOutputs({ ...this.outputs });
  }
}
