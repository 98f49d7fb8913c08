// A node with every concern on, for the tests that exercise the whole stack at once: PKI, the secret store on a
// real OpenBao, the gateway's PostgreSQL role and database on the shared server plus a Mongo user on a real
// FerretDB, and the config store on a real etcd, all on free loopback ports started by the test.
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { EtcdServer } from "./etcd-server";
import { FerretdbServer } from "./ferretdb-server";
import { freePort, TestNode } from "./harness";
import { OpenBaoServer } from "./openbao-server";
import { psql, SHARED_POSTGRES, sql } from "./postgres-server";

export const FULL_NODE_CUSTODY_SECRET = "full-node-it-custody-secret-0123456789abcdef";

export class FullNode {
  readonly sfx = randomBytes(3).toString("hex");
  /** The gateway and one more service, suffixed: their role and database live on the shared PostgreSQL. */
  readonly gateway = `kong-${this.sfx}`;
  readonly client = `svc-a-${this.sfx}`;
  store!: OpenBaoServer;
  ferret!: FerretdbServer;
  etcd!: EtcdServer;

  private constructor(readonly node: TestNode) {}

  /** Starts the servers (each waits for its service's readiness file, as on a node) and writes the stack config. */
  static async start(stack: string): Promise<FullNode> {
    const full = new FullNode(new TestNode(stack));
    const { node } = full;
    full.ferret = new FerretdbServer(join(node.root, "ferretdb", "state"));
    mkdirSync(full.ferret.stateDir, { recursive: true });
    await full.ferret.start();
    full.store = await OpenBaoServer.create(node);
    const [port, peerPort] = [await freePort(), await freePort()];
    full.etcd = new EtcdServer({ secretsRoot: node.secretsRoot, dataDir: join(node.root, "etcd"), port, peerPort });
    const defaultsFile = join(node.root, "eii_config.json");
    writeFileSync(defaultsFile, JSON.stringify({ "/GlobalEnv/": { LOG_LEVEL: "INFO" }, [`/${full.client}/config`]: { fps: 30 } }));
    node.configure(
      {
        services: [{ name: "secretstore", hostnames: ["secretstore"], includeLocalhost: false, extraSans: ["127.0.0.1"] }, { name: "etcd" }, { name: full.gateway }, { name: full.client }],
        secretStore: { address: full.store.address, custodyDir: join(node.root, "custody"), connectTimeoutSeconds: 120, gatewayService: full.gateway },
        databases: {
          connectTimeoutSeconds: 15,
          postgres: { host: SHARED_POSTGRES.host, port: SHARED_POSTGRES.port, adminUser: SHARED_POSTGRES.user, gateway: { service: full.gateway }, services: [{ service: full.client }] },
          mongo: { host: full.ferret.host, port: full.ferret.port, adminUser: full.ferret.adminUser, adminDatabase: full.ferret.adminDatabase, services: [{ service: full.client }] },
        },
        configStore: { endpoint: full.etcd.endpoint, prefix: "/eii", defaultConfigFile: defaultsFile, waitTimeoutSeconds: 120 },
      },
      { secretStoreCustodySecret: FULL_NODE_CUSTODY_SECRET },
    );
    node.setSecretConfig("databases.mongo.adminPassword", full.ferret.adminPassword);
    full.store.start();
    full.etcd.start();
    return full;
  }

  get custodyFile(): string {
    return join(this.node.root, "custody", `${this.node.stack}.secret-store.custody`);
  }

  /** The PostgreSQL databases of this node on the shared server. */
  async pgDatabases(): Promise<string[]> {
    return (await sql(SHARED_POSTGRES, `SELECT datname FROM pg_database WHERE datname LIKE '%\\_${this.sfx}' ORDER BY 1`)).split("\n").filter(Boolean);
  }

  /** Stops the servers, drops what a failed test left on the shared PostgreSQL (names with this suffix), removes the folder. */
  async stop(): Promise<void> {
    await this.ferret?.stop().catch(() => undefined);
    try {
      this.store?.stop();
    } catch {
      // not started
    }
    try {
      this.etcd?.stop();
    } catch {
      // not started
    }
    for (const db of await this.pgDatabases()) await psql(SHARED_POSTGRES, `DROP DATABASE "${db}"`);
    const roles = (await sql(SHARED_POSTGRES, `SELECT rolname FROM pg_roles WHERE rolname LIKE '%\\_${this.sfx}'`)).split("\n").filter(Boolean);
    for (const role of roles) await psql(SHARED_POSTGRES, `DROP ROLE "${role}"`);
    this.node.cleanup();
  }
}
