// The gateway on Kong, set up over Kong's Admin API: first the Admin API itself is waited for (bounded), then the
// gateway certificate (read back from the secret store), one route per entry of the route mapping (service,
// route, JWT or OAuth2 + ACL), and the gateway's users. Kong's database and migrations are the platform's step
// before Kong starts (README: "Gateway on Kong").
import { join } from "node:path";
import * as pulumi from "../../shared/pulumi";
import { deterministicId } from "./kong-ids";
import type { KongGatewayConfig } from "./config";
import type { Route } from "../routes";
import { KongAdminApi } from "./kong-admin-api";
import { KongCertificate } from "./kong-certificate";
import { KongRoute } from "./kong-route";
import { KongUser } from "./kong-user";

export interface KongGatewayArgs {
  readonly config: KongGatewayConfig;
  readonly routes: readonly Route[];
  readonly secretsRoot: string;
  /** SNIs of the gateway certificate: the gateway service's DNS names. */
  readonly snis: readonly string[];
  /** The secret store, as its admin resources reach it, and where it keeps the gateway certificate. */
  readonly store: { address: string; caPem: pulumi.Input<string>; connectTimeoutSeconds: number; unsealKeys: pulumi.Input<string[]> };
  readonly tls: { mount: pulumi.Input<string>; path: string; certPem: pulumi.Input<string>; stored: pulumi.Resource };
  /** What vouches for an https:// Admin API (the file in gateway.kong.adminCaFile, else the node CA). */
  readonly adminCaPem?: pulumi.Input<string>;
}

export interface KongGatewayOutputs {
  kind: "kong";
  adminUrl: string;
  proxyUrl: string;
  /** Route name -> gateway path. */
  routes: Record<string, string>;
}

export class KongGateway extends pulumi.ComponentResource {
  readonly outputs: KongGatewayOutputs;
  readonly adminApi: KongAdminApi;

  constructor(name: string, args: KongGatewayArgs, opts?: pulumi.ComponentResourceOptions) {
    super("edge-security:gateway:KongGateway", name, {}, opts);
    const { config } = args;
    const stack = pulumi.getStack();
    const endpoint = {
      adminUrl: config.adminUrl,
      ...(config.adminUrl.startsWith("https:") && args.adminCaPem ? { adminCaPem: args.adminCaPem } : {}),
      ...(config.adminCredentials ? { adminCredentials: pulumi.secret(config.adminCredentials) } : {}),
      requestTimeoutSeconds: config.requestTimeoutSeconds,
      stack,
    };
    this.adminApi = new KongAdminApi(`${name}-admin-api`, { ...endpoint, waitSeconds: config.adminWaitSeconds, routes: args.routes.map((r) => ({ name: r.name, path: r.path })) }, { parent: this });
    const afterAdmin = { parent: this, dependsOn: [this.adminApi] };

    new KongCertificate(
      `${name}-certificate`,
      { ...endpoint, store: args.store, mount: args.tls.mount, path: args.tls.path, certPem: args.tls.certPem, snis: [...args.snis], certificateId: deterministicId(stack, "gateway-tls") },
      { parent: this, dependsOn: [this.adminApi, args.tls.stored] },
    );

    const authOf = (route: Route) => (route.public ? "none" : (route.auth ?? config.auth));
    for (const route of args.routes) {
      new KongRoute(
        `${name}-route-${route.name}`,
        {
          ...endpoint,
          major: this.adminApi.major,
          name: route.name,
          path: route.path,
          protocol: route.protocol,
          host: route.host,
          port: route.port,
          upstreamPath: route.upstreamPath,
          auth: authOf(route),
          groups: route.groups.length > 0 ? route.groups : [config.defaultGroup],
          jwtMaximumExpirationSeconds: config.jwt.maximumExpirationSeconds,
          oauth2TokenExpirationSeconds: config.oauth2.tokenExpirationSeconds,
        },
        afterAdmin,
      );
    }

    // A user gets the credentials the routes ask for: JWT, OAuth2 or both.
    const jwtInUse = args.routes.some((r) => authOf(r) === "jwt");
    const oauth2Route = args.routes.find((r) => authOf(r) === "oauth2");
    const usersDir = config.usersDir ?? join(args.secretsRoot, "gateway-users");
    for (const user of config.users) {
      new KongUser(
        `${name}-user-${user.name}`,
        {
          ...endpoint,
          username: user.name,
          groups: [...new Set([config.defaultGroup, ...user.groups])],
          dir: join(usersDir, user.name),
          ...(user.owner.uid !== undefined ? { uid: user.owner.uid } : {}),
          ...(user.owner.gid !== undefined ? { gid: user.owner.gid } : {}),
          ...(jwtInUse ? { jwt: { algorithm: config.jwt.algorithm, maximumExpirationSeconds: config.jwt.maximumExpirationSeconds } } : {}),
          ...(oauth2Route ? { oauth2: { tokenPath: `${oauth2Route.path}/oauth2/token` } } : {}),
        },
        afterAdmin,
      );
    }

    this.outputs = { kind: "kong", adminUrl: config.adminUrl, proxyUrl: config.proxyUrl, routes: Object.fromEntries(args.routes.map((r) => [r.name, r.path])) };
    this.registerOutputs(this.outputs);
  }
}
