// Benchmark (not a test): requests per second and p99 latency through the NGINX gateway on loopback, measured
// with wrk (Debian) at 200 connections: the upstream alone (the floor), a public route (TLS + proxy, no token
// check) and a route with token checking (auth_request to the auth service, a JWT from the real OpenBao).
// Target: token checking keeps at least half of the public route's rate, and no request fails.
// Then, in the same run, an edgex4 node's gateway (EdgeX 4's shape, docs/edgex.md "Gateway") on the same upstream:
// the token checked by introspection at the store (its default: a removed user is refused at once) and by local
// verification (`gateway.nginx.check: local`), so their cost is compared under the same load.
// BENCH_GATEWAY_SECONDS (10), BENCH_GATEWAY_CONNECTIONS (200) tune it; BENCH_GATEWAY_EDGEX=0 skips the edgex4 rows.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { ExponentialBackoff, handleAll, retry } from "cockatiel";
import { expectOk, freePort, TestNode } from "../test/support/harness";
import { GatewayClient, GatewayServers, Upstream } from "../test/support/nginx-server";
import { OpenBaoServer } from "../test/support/openbao-server";
import { run } from "./measure";

const SECONDS = Number(process.env.BENCH_GATEWAY_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_GATEWAY_CONNECTIONS ?? 200);

interface Load {
  rps: number;
  p99ms: number;
  requests: number;
  non2xx: number;
  /** connect, read, write errors and timeouts (no answer within wrk's --timeout). */
  socketErrors: number;
}

/** One wrk run (asynchronous: the upstream answers from this process); failures are socket errors plus non-2xx answers. */
async function wrk(url: string, headers: Record<string, string> = {}): Promise<Load> {
  // A request with no answer within 10 s counts as failed (a socket timeout).
  const args = ["-t2", `-c${CONNECTIONS}`, `-d${SECONDS}s`, "--timeout", "10s", "--latency", ...Object.entries(headers).flatMap(([k, v]) => ["-H", `${k}: ${v}`]), url];
  const { stdout: out } = await promisify(execFile)("wrk", args, { encoding: "utf8" });
  const unit = (value: string, u: string) => Number(value) * ({ us: 0.001, ms: 1, s: 1000 } as Record<string, number>)[u];
  const p99 = /^\s*99%\s+([\d.]+)(us|ms|s)\s*$/m.exec(out);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const socketErrors = socket ? socket.slice(1).map(Number).reduce((a, b) => a + b, 0) : 0;
  if (!p99) console.error(out);
  return { rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0), p99ms: p99 ? unit(p99[1], p99[2]) : NaN, requests, non2xx, socketErrors };
}

run(async () => {
  const node = new TestNode("bench-gateway");
  const store = await OpenBaoServer.create(node);
  const upstream = await Upstream.start("bench");
  upstream.seen.push = () => 0; // no memory of millions of requests
  const listen = `127.0.0.1:${await freePort()}`;
  const servers = new GatewayServers(node, "nginx");
  let client: GatewayClient | undefined;
  try {
    node.configure(
      {
        services: [{ name: "secretstore", extraSans: ["127.0.0.1"] }, { name: "nginx" }],
        secretStore: { address: store.address, custodyDir: join(node.root, "custody") },
        gateway: {
          kind: "nginx",
          extraRoutes: [
            { name: "open", url: `http://127.0.0.1:${upstream.port}`, public: true },
            { name: "checked", url: `http://127.0.0.1:${upstream.port}` },
          ],
          nginx: { listen, authListen: `127.0.0.1:${await freePort()}`, users: [{ name: "bench" }] },
        },
      },
      { secretStoreCustodySecret: "bench-custody-secret-0123456789abcdefghij" },
    );
    store.start();
    servers.start();
    expectOk(await node.run("up"));
    client = new GatewayClient(`https://${listen}`, readFileSync(join(node.secretsRoot, "ca.pem"), "utf8"));
    await retry(handleAll, { maxAttempts: 60, backoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: 1_000 }) }).execute(async () => {
      if ((await client!.send("/checked/")).status !== 401) throw new Error("gateway not ready");
    });
    const user = JSON.parse(node.pulumi("stack", "output", "--json", "--show-secrets", "--stack", node.stack)).gateway.users.bench;
    const token = await client.token(user, user.password);

    const floor = await wrk(`http://127.0.0.1:${upstream.port}/`);
    const open = await wrk(`https://${listen}/open/`);
    const checked = await wrk(`https://${listen}/checked/`, { authorization: `Bearer ${token}` });
    const edgex = process.env.BENCH_GATEWAY_EDGEX === "0" ? undefined : await edgexRows(upstream.port);
    const row = (name: string, l: Load) => `| ${name} | ${l.rps.toFixed(0)} | ${(l.rps / floor.rps).toFixed(2)} | ${l.p99ms.toFixed(1)} | ${l.requests} | ${l.non2xx} | ${l.socketErrors} |`;
    console.log(
      [
        `NGINX gateway on loopback, wrk -t2 -c${CONNECTIONS} -d${SECONDS}s (TLS 1.3 to the gateway, HTTP/1.1 keep-alive to the upstream and the auth service):`,
        "| path | requests/s | ratio to floor | p99 (ms) | requests | non-2xx | socket errors |",
        "|---|---|---|---|---|---|---|",
        row("upstream alone (floor, plain HTTP)", floor),
        row("gateway, public route (no token check)", open),
        row("gateway, token checked (auth_request + JWT)", checked),
        ...(edgex ? [row("edgex4 gateway, introspection at the store", edgex.introspect), row("edgex4 gateway, local verification", edgex.local)] : []),
      ].join("\n"),
    );
    if (edgex) console.log(`edgex4: introspection keeps ${((edgex.introspect.rps / edgex.local.rps) * 100).toFixed(0)} % of local verification's rate (p99 ${edgex.introspect.p99ms.toFixed(1)} ms vs ${edgex.local.p99ms.toFixed(1)} ms)`);
    const ratio = checked.rps / open.rps;
    const failed = open.non2xx + open.socketErrors + checked.non2xx + checked.socketErrors;
    console.log(`token checking keeps ${(ratio * 100).toFixed(0)} % of the public route's rate (target >= 50 %): ${ratio >= 0.5 ? "met" : "NOT met"}; failed requests through the gateway: ${failed} (target 0): ${failed === 0 ? "met" : "NOT met"}; load average at the end: ${loadavg()[0].toFixed(1)}`);
    expectOk(await node.run("destroy"));
  } finally {
    await client?.close();
    servers.stop();
    store.stop();
    await upstream.close();
    node.cleanup();
  }
});

/** The edgex4 node's gateway on the same upstream: wrk with the token checked by introspection, then locally. */
async function edgexRows(upstreamPort: number): Promise<{ introspect: Load; local: Load }> {
  const node = new TestNode("bench-gateway-edgex");
  const store = await OpenBaoServer.create(node);
  const listen = `127.0.0.1:${await freePort()}`;
  const authListen = `127.0.0.1:${await freePort()}`;
  const servers = new GatewayServers(node, "nginx");
  let client: GatewayClient | undefined;
  const config = (check: string) => ({
    layout: "edgex4",
    services: [{ name: "secretstore", extraSans: ["127.0.0.1"] }, { name: "nginx" }],
    secretStore: { address: store.address, custodyDir: join(node.root, "custody") },
    gateway: { kind: "nginx", extraRoutes: [{ name: "checked", url: `http://127.0.0.1:${upstreamPort}` }], nginx: { listen, authListen, users: [{ name: "bench" }], check } },
  });
  try {
    node.configure(config("introspect"), { secretStoreCustodySecret: "bench-custody-secret-0123456789abcdefghij" });
    store.start();
    servers.start();
    expectOk(await node.run("up"));
    client = new GatewayClient(`https://${listen}`, readFileSync(join(node.secretsRoot, "ca.pem"), "utf8"));
    await retry(handleAll, { maxAttempts: 60, backoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: 1_000 }) }).execute(async () => {
      if ((await client!.send("/checked/")).status !== 401) throw new Error("gateway not ready");
    });
    const user = JSON.parse(node.pulumi("stack", "output", "--json", "--show-secrets", "--stack", node.stack)).gateway.users.bench;
    const bearer = { authorization: `Bearer ${await client.token(user, user.password)}` };
    const introspect = await wrk(`https://${listen}/checked/`, bearer);
    node.configure(config("local"), { secretStoreCustodySecret: "bench-custody-secret-0123456789abcdefghij" });
    expectOk(await node.run("up"));
    // The auth service re-reads its settings on SIGHUP (sent by `up`): one request after it settles.
    await new Promise((r) => setTimeout(r, 1_000));
    if ((await client.send("/checked/", { headers: bearer })).status !== 200) throw new Error("the local check refused the token");
    const local = await wrk(`https://${listen}/checked/`, bearer);
    expectOk(await node.run("destroy"));
    return { introspect, local };
  } finally {
    await client?.close();
    servers.stop();
    store.stop();
    node.cleanup();
  }
}
