// The NGINX gateway's two local servers for integration tests (NGINX, the auth service), started and stopped
// through scripts/servers/nginx.sh and gateway-auth.sh as the demo does; small HTTP upstreams on loopback; and an
// HTTPS client that trusts only the node CA (components/gateway/nginx/gateway-client.ts).
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, IncomingHttpHeaders, Server } from "node:http";
import { join } from "node:path";
import { ExponentialBackoff, handleAll, retry } from "cockatiel";
import { GatewayClient } from "../../components/gateway/nginx/gateway-client";
import { PROJECT_ROOT, TestNode } from "./harness";

export class GatewayServers {
  constructor(
    readonly node: TestNode,
    readonly service: string,
  ) {}

  private get env(): NodeJS.ProcessEnv {
    return { ...process.env, EDGE_SECRETS_ROOT: this.node.secretsRoot, EDGE_SERVER_STATE_DIR: join(this.node.root, "servers"), EDGE_GATEWAY_SERVICE: this.service, EDGE_SERVER_WAIT_SECONDS: "600" };
  }

  /** Both start in the background and wait for the gateway service's readiness file. */
  start(): void {
    for (const s of ["nginx", "gateway-auth"]) execFileSync("bash", [join(PROJECT_ROOT, `scripts/servers/${s}.sh`), "start"], { env: this.env, stdio: "pipe" });
  }

  stop(): void {
    for (const s of ["nginx", "gateway-auth"]) execFileSync("bash", [join(PROJECT_ROOT, `scripts/servers/${s}.sh`), "stop"], { env: this.env, stdio: "pipe" });
  }

  get authLog(): string {
    return readFileSync(join(this.node.root, "servers/gateway-auth/server.log"), "utf8");
  }
}

export interface Seen {
  url: string;
  headers: IncomingHttpHeaders;
}

/** A loopback HTTP upstream that answers every request with 200 and remembers what it was asked. */
export class Upstream {
  private constructor(
    readonly port: number,
    readonly seen: Seen[],
    private readonly server: Server,
  ) {}

  static async start(name: string): Promise<Upstream> {
    const seen: Seen[] = [];
    const server = createServer((req, res) => {
      seen.push({ url: req.url ?? "", headers: req.headers });
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ upstream: name, url: req.url }));
    });
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
    return new Upstream((server.address() as { port: number }).port, seen, server);
  }

  last(): Seen | undefined {
    return this.seen[this.seen.length - 1];
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((done) => this.server.close(() => done()));
  }
}

/**
 * EdgeX 4's route table as the stack ships it (stacks/edgex/routes.toml), written under the node's root with the
 * named routes pointed at the test's ports; returns the file's path (for `gateway.routesFile`).
 */
export function edgexRoutesFile(node: TestNode, ports: Record<string, number>): string {
  let text = readFileSync(join(PROJECT_ROOT, "stacks/edgex/routes.toml"), "utf8");
  for (const [route, port] of Object.entries(ports)) {
    const section = new RegExp(`(\\[Routes\\.${route}\\][^[]*?\\nPort = )\\d+`);
    if (!section.test(text)) throw new Error(`stacks/edgex/routes.toml has no route ${route}`);
    text = text.replace(section, `$1${port}`);
  }
  mkdirSync(join(node.root, "routes"), { recursive: true });
  const file = join(node.root, "routes", "routes.toml");
  writeFileSync(file, text);
  return file;
}

/** Waits until the gateway answers `path` with 401 (NGINX up with the stack's configuration, the auth service checking). */
export async function gatewayReady(client: GatewayClient, path: string): Promise<void> {
  await retry(handleAll, { maxAttempts: 60, backoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: 1_000 }) }).execute(async () => {
    if ((await client.send(path)).status !== 401) throw new Error("gateway not yet");
  });
}

/** A gateway user's password (the stack's secret output) and the JWT it gets by logging in through the gateway. */
export async function gatewayUserToken(node: TestNode, client: GatewayClient, user: string): Promise<{ password: string; jwt: string }> {
  const out = JSON.parse(node.pulumi("stack", "output", "--json", "--show-secrets", "--stack", node.stack)).gateway.users[user];
  return { password: out.password, jwt: await client.token(out, out.password) };
}

export { GatewayClient };
