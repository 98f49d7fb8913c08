// Before any resource is registered: each configured database server is reachable and accepts the admin's
// credentials. A failure is one line naming the config key, and nothing has been changed.
import type { DatabasesConfig } from "./config";

export async function checkDatabaseServers(config: DatabasesConfig, fail: (key: string, message: string) => never): Promise<void> {
  if (config.postgres) {
    const pg: typeof import("./postgres") = require("./postgres");
    const server = { ...config.postgres, connectTimeoutMs: config.connectTimeoutMs };
    let superuser: boolean;
    try {
      superuser = await pg.withAdmin(server, async (client) => (await client.query<{ rolsuper: boolean }>("SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user")).rows[0]?.rolsuper === true);
    } catch (err) {
      fail("postgres", err instanceof Error ? err.message.split("\n")[0] : String(err));
    }
    // Reading stored password verifiers (drift detection) needs pg_authid, which only a superuser can read.
    if (!superuser) fail("postgres.adminUser", `${JSON.stringify(config.postgres.adminUser)} is not a PostgreSQL superuser (needed to create roles and to check their passwords in pg_authid)`);
  }
  if (config.mongo) {
    const mongo: typeof import("./mongo") = require("./mongo");
    try {
      await mongo.withAdmin({ ...config.mongo, connectTimeoutMs: config.connectTimeoutMs }, (client) => mongo.serverKind(client));
    } catch (err) {
      fail("mongo", err instanceof Error ? err.message.split("\n")[0] : String(err));
    }
  }
}
