// The stack config's `gateway.kong` section (used when gateway.kind is "kong"): where Kong's Admin API is, how
// to authenticate to it when it sits behind the gateway, the authentication routes get (JWT or OAuth2), and the
// gateway's users. No Pulumi in here.
import { z } from "zod";

const GROUP = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const USER = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const HEADER = /^[A-Za-z0-9-]{1,64}$/;
const group = z.string().refine((g) => GROUP.test(g), (g) => ({ message: `${JSON.stringify(g)} is not a valid group name` }));
const seconds = (max: number) => z.number({ invalid_type_error: "must be a number of seconds" }).int("must be a whole number of seconds").min(1, "must be at least 1 second").max(max, `must be at most ${max} seconds`);
const httpUrl = z.string().refine((u) => {
  try {
    const url = new URL(u);
    return (url.protocol === "http:" || url.protocol === "https:") && !url.username && !url.password && !url.search && !url.hash;
  } catch {
    return false;
  }
}, (u) => ({ message: `${JSON.stringify(u)} is not an http:// or https:// URL (no credentials, query or fragment)` }));

export const KONG_AUTH = ["jwt", "oauth2"] as const;
export type KongAuth = (typeof KONG_AUTH)[number];
/** Kong's JWT credential algorithms that sign with a private key the user keeps (ES512 is missing from Kong 2.x). */
export const KONG_JWT_ALGORITHMS = ["ES256", "ES384", "RS256"] as const;

const userSchema = z
  .object({
    name: z.string().refine((n) => USER.test(n), (n) => ({ message: `${JSON.stringify(n)} is not a valid user name (letters, digits, '.', '_', '-'; at most 63 characters)` })),
    /** ACL groups beside the default group every user is in. */
    groups: z.array(group).default([]),
    /** The user's folder owner (the private key file is theirs). */
    owner: z.object({ uid: z.number().int().nonnegative().optional(), gid: z.number().int().nonnegative().optional() }).strict().default({}),
  })
  .strict();

export const kongGatewaySchema = z
  .object({
    /** Kong's Admin API, e.g. http://127.0.0.1:8001 (Kong's default; keep it on loopback). */
    adminUrl: httpUrl.default("http://127.0.0.1:8001"),
    /** The proxy's TLS address (stack output only, for users: where tokens are presented). */
    proxyUrl: httpUrl.default("https://127.0.0.1:8443"),
    /** When the Admin API sits behind the gateway: the header and value it expects (e.g. key-auth's "apikey"). */
    adminCredentials: z
      .object({
        header: z.string().refine((h) => HEADER.test(h), (h) => ({ message: `${JSON.stringify(h)} is not an HTTP header name` })).default("apikey"),
        /** A secret: set with `pulumi config set --secret --path`. */
        value: z.string().min(1, "must not be empty"),
      })
      .strict()
      .optional(),
    /** PEM file of the CA that vouches for an https:// Admin API (default: the node CA). */
    adminCaFile: z.string().optional(),
    /** How long the graph waits for the Admin API before any Kong resource (Kong starting beside `up`). */
    adminWaitSeconds: seconds(3600).default(120),
    /** How long one Admin API request may take. */
    requestTimeoutSeconds: seconds(600).default(30),
    /** Authentication of every route that is not public, unless the route names its own (Auth / auth). */
    auth: z.enum(KONG_AUTH, { errorMap: () => ({ message: `must be "jwt" or "oauth2"` }) }).default("jwt"),
    jwt: z
      .object({
        /** Kong refuses tokens whose exp is further than this from now (and any token without exp). */
        maximumExpirationSeconds: seconds(31_536_000).default(3600),
        algorithm: z.enum(KONG_JWT_ALGORITHMS, { errorMap: () => ({ message: `must be one of ${KONG_JWT_ALGORITHMS.join(", ")}` }) }).default("ES256"),
      })
      .strict()
      .default({}),
    oauth2: z
      .object({
        tokenExpirationSeconds: seconds(31_536_000).default(7200),
      })
      .strict()
      .default({}),
    /** The ACL group every user is in; routes without Groups allow it. */
    defaultGroup: group.default("gateway-users"),
    /** Where each user's folder (private key, JWT settings) is made: <usersDir>/<name>, default <secretsRoot>/gateway-users. */
    usersDir: z.string().refine((p) => p.startsWith("/"), (p) => ({ message: `${JSON.stringify(p)} must be an absolute path` })).optional(),
    users: z.array(userSchema).default([]),
  })
  .strict()
  .superRefine((kong, ctx) => {
    const seen = new Set<string>();
    kong.users.forEach((u, i) => {
      if (seen.has(u.name.toLowerCase())) ctx.addIssue({ code: "custom", path: ["users", i, "name"], message: `${JSON.stringify(u.name)} is listed twice` });
      seen.add(u.name.toLowerCase());
    });
  });
export type KongGatewayConfig = z.infer<typeof kongGatewaySchema>;

/** Gateway paths Kong keeps for itself; a route may not use them: EdgeX 2.x puts the Admin API behind /admin. */
export const KONG_RESERVED_PATHS: readonly string[] = ["/admin"];
