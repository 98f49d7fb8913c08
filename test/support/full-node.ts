// A node with every concern on, for the tests that exercise the whole stack at once: PKI, the secret store on a
// real OpenBao, the gateway's PostgreSQL role and database on the shared server plus a Mongo user on a real
// FerretDB, and the config store on a real etcd, all on free loopback ports started by the test.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
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
  /** Further client services (the benchmark's n), each with every concern: token, databases, config-store identity. */
  readonly extraClients: string[];
  store!: OpenBaoServer;
  ferret!: FerretdbServer;
  etcd!: EtcdServer;

  readonly node: TestNode;

  /** The node's folder is made here; `start` starts the servers, so `stop` can clean up after a failed start. */
  constructor(stack: string, extraClients = 0) {
    this.node = new TestNode(stack);
    this.extraClients = Array.from({ length: extraClients }, (_, i) => `svc-${String(i).padStart(3, "0")}-${this.sfx}`);
  }

  /** Starts the servers (each waits for its service's readiness file, as on a node) and writes the stack config. */
  async start(): Promise<void> {
    const { node } = this;
    this.ferret = new FerretdbServer(join(node.root, "ferretdb", "state"));
    mkdirSync(this.ferret.stateDir, { recursive: true });
    await this.ferret.start();
    this.store = await OpenBaoServer.create(node);
    const [port, peerPort] = [await freePort(), await freePort()];
    this.etcd = new EtcdServer({ secretsRoot: node.secretsRoot, dataDir: join(node.root, "etcd"), port, peerPort });
    const defaultsFile = join(node.root, "eii_config.json");
    writeFileSync(defaultsFile, JSON.stringify({ "/GlobalEnv/": { LOG_LEVEL: "INFO" }, [`/${this.client}/config`]: { fps: 30 } }));
    const clients = [this.client, ...this.extraClients].map((service) => ({ service }));
    node.configure(
      {
        services: [{ name: "secretstore", hostnames: ["secretstore"], includeLocalhost: false, extraSans: ["127.0.0.1"] }, { name: "etcd" }, { name: this.gateway }, { name: this.client }, ...this.extraClients.map((name) => ({ name }))],
        secretStore: { address: this.store.address, custodyDir: join(node.root, "custody"), connectTimeoutSeconds: 120, gatewayService: this.gateway },
        databases: {
          connectTimeoutSeconds: 15,
          postgres: { host: SHARED_POSTGRES.host, port: SHARED_POSTGRES.port, adminUser: SHARED_POSTGRES.user, gateway: { service: this.gateway }, services: clients },
          mongo: { host: this.ferret.host, port: this.ferret.port, adminUser: this.ferret.adminUser, adminDatabase: this.ferret.adminDatabase, services: clients },
        },
        configStore: { endpoint: this.etcd.endpoint, prefix: "/eii", defaultConfigFile: defaultsFile, waitTimeoutSeconds: 120 },
      },
      { secretStoreCustodySecret: FULL_NODE_CUSTODY_SECRET },
    );
    node.setSecretConfig("databases.mongo.adminPassword", this.ferret.adminPassword);
    this.store.start();
    this.etcd.start();
  }

  get custodyFile(): string {
    return join(this.node.root, "custody", `${this.node.stack}.secret-store.custody`);
  }

  /** The last lines of each server's log, for a failure's message: a server that did not answer says why there. */
  serverLogTails(lines = 15): string {
    const logs = [this.etcd?.logFile, this.store?.logFile, this.ferret?.logFile].filter((f): f is string => f !== undefined);
    return logs
      .map((file) => `--- ${file}:\n${existsSync(file) ? readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n") : "(no log)"}`)
      .join("\n");
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
