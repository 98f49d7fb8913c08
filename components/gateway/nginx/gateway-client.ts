// An HTTPS client of the NGINX gateway that trusts only the node CA: plain requests, and a user's token the way
// EdgeX 3/4 get it (userpass login through the gateway, then the identity token). Used by the demo and the tests.
import { Agent, request } from "undici";

/** HTTPS to the gateway, trusting only the node CA (TLS 1.3 is all the gateway speaks). */
export class GatewayClient {
  private readonly agent: Agent;

  constructor(
    readonly base: string,
    caPem: string,
  ) {
    this.agent = new Agent({ connect: { ca: caPem, minVersion: "TLSv1.3" } });
  }

  async send(path: string, opts: { method?: "GET" | "POST"; headers?: Record<string, string>; body?: unknown } = {}): Promise<{ status: number; json: any }> {
    const res = await request(new URL(path, this.base), {
      method: opts.method ?? "GET",
      headers: { ...(opts.body !== undefined ? { "content-type": "application/json" } : {}), ...opts.headers },
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      dispatcher: this.agent,
    });
    const text = await res.body.text();
    let json: any;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = text;
    }
    return { status: res.statusCode, json };
  }

  /** Logs in through the gateway (userpass), then gets the user's identity token: EdgeX's two calls. */
  async token(user: { loginPath: string; tokenPath: string }, password: string): Promise<string> {
    const login = await this.send(user.loginPath, { method: "POST", body: { password } });
    if (login.status !== 200) throw new Error(`login through the gateway answered ${login.status}`);
    const token = await this.send(user.tokenPath, { headers: { "x-vault-token": login.json.auth.client_token } });
    if (token.status !== 200) throw new Error(`the token request through the gateway answered ${token.status}: ${JSON.stringify(token.json)}`);
    return token.json.data.token;
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}
