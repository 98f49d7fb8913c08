// The stack config's `gateway.nginx` section (used when gateway.kind is "nginx"): where NGINX listens, the folder
// its configuration is written to, the auth service it asks, and the gateway users (EdgeX 3/4: userpass logins
// and identity tokens in the secret store). No Pulumi in here.
import { isAbsolute } from "node:path";
import { z } from "zod";

const USER = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const GROUP = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
/** The store's duration syntax, as the OIDC role takes it: seconds, or a number with s, m or h. */
const DURATION = /^[1-9][0-9]{0,6}[smh]?$/;

/** A loopback "address:port": the gateway and its auth service never listen beyond the node unless told so. */
const listenAddress = z.string().refine((v) => {
  const m = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|\[::1\]):(\d{1,5})$/.exec(v);
  return m !== null && Number(m[2]) >= 1 && Number(m[2]) <= 65535;
}, (v) => ({ message: `${JSON.stringify(v)} is not a loopback address:port (127.x.x.x, localhost or [::1])` }));

const duration = z.string().refine((v) => DURATION.test(v), (v) => ({ message: `${JSON.stringify(v)} is not a duration (e.g. 3600, 90s, 15m, 1h)` }));

export const nginxUserSchema = z
  .object({
    name: z.string().refine((n) => USER.test(n), (n) => ({ message: `${JSON.stringify(n)} is not a valid user name (lower-case letters, digits, '_', '-'; at most 63 characters)` })),
    groups: z.array(z.string().refine((g) => GROUP.test(g), (g) => ({ message: `${JSON.stringify(g)} is not a valid group name` }))).default([]),
    /** This user's token lifetime, instead of the section's tokenTtl. */
    tokenTtl: duration.optional(),
  })
  .strict();

export const nginxGatewaySchema = z
  .object({
    /** Where NGINX serves HTTPS. */
    listen: listenAddress.default("127.0.0.1:8443"),
    /** The folder the stack writes NGINX's configuration, TLS files and runtime folders to; default <secretsRoot>/<gateway service>/nginx. */
    configDir: z.string().refine(isAbsolute, "must be an absolute path").optional(),
    /** The auth service NGINX asks for every request (`auth_request`); started by scripts/servers/gateway-auth.sh. */
    authListen: listenAddress.default("127.0.0.1:8444"),
    users: z.array(nginxUserSchema).default([]),
    /** Lifetime of the identity tokens (the OIDC role's ttl). */
    tokenTtl: duration.default("1h"),
    /** The tokens' `aud` (the OIDC roles' client_id); the auth service accepts only this audience. */
    audience: z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, "must be 1-128 letters, digits, '.', '_', ':', '-'").default("edgex"),
    /** The identity engine's signing key. */
    keyAlgorithm: z.enum(["ES384", "ES256"], { errorMap: () => ({ message: `must be "ES384" or "ES256"` }) }).default("ES384"),
    /** The identity engine's key name and the userpass mount's path in the store. */
    keyName: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, "must be lower-case letters, digits, '_', '-'").default("edge-gateway"),
    userpassPath: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, "must be lower-case letters, digits, '_', '-'").default("userpass"),
    /**
     * How the auth service checks a token: "introspect" asks the store about every request (a removed user's token
     * is refused at once; EdgeX's security-proxy-auth does this), "local" verifies the signature against the store's
     * published keys (cached until exp). Default: "introspect" with layout edgex4, else "local".
     */
    check: z.enum(["introspect", "local"], { errorMap: () => ({ message: `must be "introspect" or "local"` }) }).optional(),
    /** Logins through the gateway per client address (NGINX limit_req rate, r/s or r/m) and the burst allowed at once. */
    loginRate: z.string().regex(/^[1-9][0-9]{0,5}r\/[sm]$/, "must be a rate such as 30r/m or 2r/s").default("30r/m"),
    loginBurst: z.number().int().min(0).max(1000).default(10),
    /** The store's lockout of userpass logins: `threshold` wrong passwords lock a login for `duration`; 0: never. */
    lockout: z
      .object({
        threshold: z.number().int().min(0).max(1000).default(0),
        duration: duration.default("15m"),
      })
      .strict()
      .default({}),
  })
  .strict()
  .superRefine((section, ctx) => {
    const seen = new Set<string>();
    section.users.forEach((u, i) => {
      if (seen.has(u.name)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["users", i, "name"], message: `duplicate user ${JSON.stringify(u.name)}` });
      seen.add(u.name);
    });
    if (section.listen === section.authListen) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["authListen"], message: "must differ from listen" });
  });
export type NginxGatewayConfig = z.infer<typeof nginxGatewaySchema>;

/** The defaults, for a gateway section of kind "nginx" without an `nginx` sub-section. */
export const DEFAULT_NGINX_CONFIG: NginxGatewayConfig = nginxGatewaySchema.parse({});

// STORE_PASSTHROUGH_PATH: where the gateway passes the store's login and token endpoints through (as EdgeX does);
// AUTH_LOCATION: NGINX's internal location for the auth subrequests.
import { AUTH_LOCATION, STORE_PASSTHROUGH_PATH } from "./nginx";
export { AUTH_LOCATION, STORE_PASSTHROUGH_PATH };

/** Gateway paths NGINX keeps for itself: the token endpoints passed through to the store, the auth subrequests. */
export const NGINX_RESERVED_PATHS: readonly string[] = [STORE_PASSTHROUGH_PATH, AUTH_LOCATION];
