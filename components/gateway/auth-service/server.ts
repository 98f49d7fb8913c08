// The gateway's auth service (EdgeX 3/4's security-proxy-auth): NGINX asks it about every request to a route that
// is not public (`auth_request`). It verifies the bearer token, a JWT from the secret store's identity engine:
// signature against the keys the store publishes (.well-known/keys, cached; fetched again on an unknown key id),
// `exp`, `iss` and `aud`, with jose; a route's groups (X-Edge-Groups) must meet the token's `groups` claim.
// Answers 200, 401 (no or bad token) or 403 (not in the route's groups). One log line per refusal, never the token.
//
//   tsx components/gateway/auth-service/server.ts <auth.json>     (the stack writes auth.json; SIGHUP re-reads it)
import { createHash } from "node:crypto";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, IncomingMessage, ServerResponse } from "node:http";
import { createRemoteJWKSet, customFetch, errors, jwtVerify, JWTVerifyGetKey } from "jose";
import { Agent, fetch } from "undici";
import type { AuthServiceConfig } from "../nginx/nginx";

/** Verified tokens, by hash, until they expire: a client reuses its token, and a signature check is the costly part. */
const CACHE_LIMIT = 10_000;

interface Verified {
  exp: number;
  groups: string[];
}

interface State {
  config: AuthServiceConfig;
  keys: JWTVerifyGetKey;
  cache: Map<string, Verified>;
}

function load(file: string): State {
  const config: AuthServiceConfig = JSON.parse(readFileSync(file, "utf8"));
  const dispatcher = new Agent({ connect: { ca: readFileSync(config.caFile, "utf8") } });
  const keys = createRemoteJWKSet(new URL(config.jwksUrl), {
    cooldownDuration: 5_000,
    [customFetch]: ((url: string, options: RequestInit) => fetch(url, { ...(options as object), dispatcher })) as never,
  });
  return { config, keys, cache: new Map() };
}

function groupsOf(claim: unknown): string[] {
  return Array.isArray(claim) ? claim.filter((g): g is string => typeof g === "string") : [];
}

async function check(state: State, req: IncomingMessage): Promise<{ status: 200 | 401 | 403; reason?: string }> {
  const header = req.headers.authorization ?? "";
  const match = /^Bearer ([A-Za-z0-9._~+/=-]+)$/i.exec(header);
  if (!match) return { status: 401, reason: header ? "malformed Authorization header" : "no bearer token" };
  const token = match[1];
  const id = createHash("sha256").update(token).digest("base64");
  const now = Math.floor(Date.now() / 1000);
  let verified = state.cache.get(id);
  if (verified && verified.exp <= now) {
    state.cache.delete(id);
    verified = undefined;
  }
  if (!verified) {
    try {
      const { payload } = await jwtVerify(token, state.keys, { issuer: state.config.issuer, audience: state.config.audience, algorithms: state.config.algorithms, requiredClaims: ["exp"] });
      verified = { exp: payload.exp!, groups: groupsOf(payload.groups) };
    } catch (err) {
      if (err instanceof errors.JOSEError) return { status: 401, reason: `token refused (${err.code})` };
      throw err;
    }
    if (state.cache.size >= CACHE_LIMIT) state.cache.delete(state.cache.keys().next().value!);
    state.cache.set(id, verified);
  }
  const required = String(req.headers["x-edge-groups"] ?? "").split(",").filter(Boolean);
  if (required.length > 0 && !required.some((g) => verified!.groups.includes(g))) return { status: 403, reason: `not in the route's groups (${required.join(", ")})` };
  return { status: 200 };
}

function main(): void {
  const file = process.argv[2];
  if (!file) {
    console.error("usage: server.ts <auth.json>");
    process.exit(2);
  }
  let state = load(file);
  process.on("SIGHUP", () => {
    try {
      state = load(file);
      console.log(`gateway-auth: settings re-read from ${file}`);
    } catch (err) {
      console.error(`gateway-auth: ${file} could not be re-read, the previous settings stay: ${(err as Error).message}`);
    }
  });
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    check(state, req).then(
      ({ status, reason }) => {
        if (reason) {
          // The URI without its query (which could carry a credential); never the token.
          const uri = String(req.headers["x-original-uri"] ?? req.url ?? "").split("?")[0];
          console.log(`gateway-auth: refused ${status} ${req.headers["x-original-method"] ?? req.method} ${uri} route=${req.headers["x-edge-route"] ?? "-"} from ${req.headers["x-real-ip"] ?? req.socket.remoteAddress}: ${reason}`);
        }
        res.writeHead(status, { "content-length": "0" }).end();
      },
      (err: Error) => {
        console.error(`gateway-auth: cannot check a request: ${err.message}`);
        res.writeHead(500, { "content-length": "0" }).end();
      },
    );
  });
  server.keepAliveTimeout = 60_000;
  const [host, port] = [state.config.listen.slice(0, state.config.listen.lastIndexOf(":")).replace(/^\[|\]$/g, ""), Number(state.config.listen.slice(state.config.listen.lastIndexOf(":") + 1))];
  const pidFile = state.config.pidFile;
  server.listen(port, host, () => {
    writeFileSync(pidFile, `${process.pid}\n`);
    console.log(`gateway-auth: listening on ${state.config.listen}`);
  });
  const stop = () => {
    rmSync(pidFile, { force: true });
    server.close();
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main();
