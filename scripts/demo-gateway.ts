// After `npm run demo`: logs in as the demo stack's gateway user through the gateway (as EdgeX 3/4 users do), keeps
// the token in a 0600 header file, and prints the two curl commands that show 401 (no token) and 200 (token).
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ExponentialBackoff, handleAll, retry } from "cockatiel";
import { GatewayClient } from "../components/gateway/nginx/gateway-client";
import { writeFileAtomically } from "../components/shared/files";

async function main(): Promise<void> {
  const [stack, headerFile] = process.argv.slice(2);
  const outputs = JSON.parse(execFileSync("bash", [join(__dirname, "pulumi.sh"), "stack", "output", "--json", "--show-secrets", "--stack", stack], { encoding: "utf8" }));
  const gateway = outputs.gateway;
  if (!gateway) return;
  const [userName, user] = Object.entries(gateway.users as Record<string, { loginPath: string; tokenPath: string; password: string }>)[0];
  const client = new GatewayClient(gateway.url, readFileSync(gateway.caCertPath, "utf8"));
  try {
    // NGINX and the auth service start on the gateway's readiness file, written at the end of `up`.
    const token = await retry(handleAll, { maxAttempts: 40, backoff: new ExponentialBackoff({ initialDelay: 200, maxDelay: 1_000 }) }).execute(() => client.token(user, user.password));
    await writeFileAtomically(headerFile, `Authorization: Bearer ${token}\n`, 0o600);
  } finally {
    await client.close();
  }
  // A route the demo upstreams serve (scripts/servers/demo-upstreams.sh: core-data, core-metadata)
  const routes = gateway.routes as Record<string, string>;
  // (the edgex demo names core-keeper, a real EdgeX service it runs: EDGE_DEMO_ROUTE)
  const route = routes[process.env.EDGE_DEMO_ROUTE ?? "core-data"] ?? Object.values(routes)[0];
  console.log(`
The NGINX gateway serves ${gateway.url} (TLS 1.3, certificate from the secret store). Try:

  # 401: no token
  curl -s -o /dev/null -w '%{http_code}\\n' --cacert ${gateway.caCertPath} ${gateway.url}${route}/api/v3/ping

  # 200: the token of user "${userName}", obtained by logging in through the gateway (kept in ${headerFile}, valid 1 h)
  curl -s -w '%{http_code}\\n' --cacert ${gateway.caCertPath} -H @${headerFile} ${gateway.url}${route}/api/v3/ping

A user gets a token itself with: POST ${user.loginPath} {"password": ...} then GET ${user.tokenPath} with X-Vault-Token
(the password: npm run pulumi -- stack output --show-secrets --json gateway).`);
}

main().catch((err) => {
  console.error(`demo-gateway: ${(err as Error).message}`);
  process.exit(1);
});
