// The token recovery service: EdgeX 4's regeneration endpoint (security-secretstore-setup :59843, contract 1b).
// An EdgeX service whose token expired or was revoked while it was down gets a 403 from the store at start; its
// go-mod-bootstrap then calls `PUT /api/v3/token/entityId/<auth.entity_id of its token file>` here (no credentials,
// as in EdgeX) and reads its token file again. For that entity this service logs in with its AppRole (least
// privilege: it may only create tokens through the listed services' token roles and read their entities), makes a
// token through the service's token role bound to the service's entity alias (EdgeX's RegenToken parameters),
// writes the create response as the service's token file (0600, atomically, the service's owner) and revokes its own
// login. An entity that is not one of the listed services is refused (404). One log line per request, no token.
//
//   tsx components/secret-store/token-recovery-service/server.ts <token-recovery.json>   (SIGHUP re-reads it)
import { readFileSync } from "node:fs";
import { createServer, ServerResponse } from "node:http";
import * as store from "../client";
import * as files from "../../shared/files";
import type { TokenRecoveryConfig } from "../token-recovery";

const ROUTE = /^\/api\/v3\/token\/entityId\/([A-Za-z0-9-]{1,64})\/?$/;

const file = process.argv[2];
if (!file) {
  console.error("usage: server.ts <token-recovery.json>");
  process.exit(2);
}
let config: TokenRecoveryConfig = JSON.parse(readFileSync(file, "utf8"));
process.on("SIGHUP", () => {
  try {
    config = JSON.parse(readFileSync(file, "utf8"));
    console.log(`token-recovery: settings read again from ${file}`);
  } catch (err) {
    console.error(`token-recovery: ${file} could not be read, the previous settings stay: ${(err as Error).message}`);
  }
});

/** EdgeX's BaseResponse (go-mod-core-contracts dtos/common). */
function answer(res: ServerResponse, statusCode: number, message = ""): void {
  res.writeHead(statusCode, { "content-type": "application/json" });
  res.end(JSON.stringify({ apiVersion: "v3", ...(message ? { message } : {}), statusCode }));
}

/** Makes the token of the service whose entity is `entityId`; the service's name, or undefined when none is. */
async function regenerate(entityId: string): Promise<string | undefined> {
  const endpoint = { address: config.address, caPem: config.caPem };
  const token = await store.appRoleLogin(endpoint, config.appRole.mount, config.appRole.roleId, config.appRole.secretId);
  if (!token) throw new store.SecretStoreError(`the secret store at ${config.address} refused the recovery service's AppRole login`);
  try {
    for (const [name, service] of Object.entries(config.services)) {
      const entity = await store.readEntity(endpoint, token, name);
      if (entity?.id !== entityId) continue;
      const response = await store.createTokenByRole(endpoint, token, name, { entityAlias: name, policies: service.policies, period: config.tokenPeriod, meta: { user: name } });
      await files.writeFileAtomically(service.tokenFile, `${JSON.stringify(response)}\n`, files.SECRET_FILE_MODE, { uid: service.uid, gid: service.gid });
      return name;
    }
    return undefined;
  } finally {
    await store.revokeSelf(endpoint, token).catch(() => false);
  }
}

// One regeneration at a time: two starts of one service must not interleave their file writes.
let queue: Promise<unknown> = Promise.resolve();

const server = createServer((req, res) => {
  const url = (req.url ?? "").split("?")[0];
  if (req.method === "GET" && url === "/api/v3/ping") return answer(res, 200);
  const match = ROUTE.exec(url);
  if (!match) return answer(res, 404, "not found");
  if (req.method !== "PUT") return answer(res, 405, "method not allowed");
  const entityId = match[1];
  const job = queue.then(async () => {
    try {
      const name = await regenerate(entityId);
      if (name === undefined) {
        console.log(`token-recovery: entity ${entityId} is none of the services it serves: refused`);
        return answer(res, 404, `entity ${entityId} is not a service this node recovers`);
      }
      console.log(`token-recovery: a new token for ${name} (entity ${entityId}) written to ${config.services[name].tokenFile}`);
      answer(res, 200);
    } catch (err) {
      console.error(`token-recovery: entity ${entityId}: ${(err as Error).message}`);
      answer(res, 500, "the token could not be made (see the recovery service's log)");
    }
  });
  queue = job;
});
server.listen(config.listen.port, config.listen.host, () => console.log(`token-recovery: listening on ${config.listen.host}:${config.listen.port}`));
for (const signal of ["SIGTERM", "SIGINT"] as const) process.on(signal, () => server.close(() => process.exit(0)));
