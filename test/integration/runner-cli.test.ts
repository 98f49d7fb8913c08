// bin/runner-cli/bin/pulumi, the CLI as the runners start it: the kernel SIGKILLs it when its runner dies. Checked
// with the real CLI waiting in silence (its state backend is a port that accepts connections and never answers), so
// neither a pipe nor a timeout can end it: the plain CLI outlives its killed parent, the runners' one does not.
import { ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, Server, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../support/harness";

const RUNNER_CLI = join(PROJECT_ROOT, "bin/runner-cli/bin/pulumi");
const PLAIN_CLI = join(PROJECT_ROOT, "tools/bin/pulumi");

function alive(pid: number): boolean {
  try {
    return !readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].startsWith("Z");
  } catch {
    return false;
  }
}

describe("the runners' CLI", { timeout: 120_000 }, () => {
  const home = mkdtempSync(join(tmpdir(), "edge-runner-cli-"));
  /** Connections the CLIs opened: every one (closed at the end), and the ones since the last look. */
  const sockets: Socket[] = [];
  const held: Socket[] = [];
  let silent: Server;
  let port = 0;
  const strays: number[] = [];

  beforeAll(async () => {
    // A "PostgreSQL" that accepts and never answers: the CLI waits on it without printing anything.
    silent = createServer((socket) => {
      sockets.push(socket);
      held.push(socket);
    });
    await new Promise<void>((done) => silent.listen(0, "127.0.0.1", done));
    port = (silent.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const pid of strays) if (alive(pid)) process.kill(pid, "SIGKILL");
    for (const s of sockets) s.destroy();
    await new Promise((done) => silent.close(done));
    rmSync(home, { recursive: true, force: true });
  });

  /** A parent Node process (the runner) that starts `cli stack ls` against the silent port; returns both pids. */
  async function runnerWithCli(cli: string): Promise<{ runner: ChildProcess; cliPid: number }> {
    const env = { PATH: process.env.PATH, HOME: home, PULUMI_HOME: join(home, ".pulumi"), PULUMI_SKIP_UPDATE_CHECK: "true", PULUMI_BACKEND_URL: `postgres://nobody@127.0.0.1:${port}/state?sslmode=disable` };
    const script = `const c = require("node:child_process").spawn(${JSON.stringify(cli)}, ["stack", "ls", "--non-interactive"], { stdio: "ignore", env: ${JSON.stringify(env)} }); console.log(c.pid); setInterval(() => {}, 1000);`;
    const runner = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "inherit"] });
    const cliPid = await new Promise<number>((done) => runner.stdout!.once("data", (d) => done(Number(String(d).trim()))));
    // Once it holds a connection to the silent port, it waits (its backend's driver has no connect timeout).
    const deadline = Date.now() + 30_000;
    while (held.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(held.length, "the CLI never connected to its backend").toBeGreaterThan(0);
    held.splice(0);
    strays.push(cliPid);
    return { runner, cliPid };
  }

  it("outlives its killed parent when started plain (what the runners used to do)", async () => {
    const { runner, cliPid } = await runnerWithCli(PLAIN_CLI);
    runner.kill("SIGKILL");
    await new Promise((r) => setTimeout(r, 2000));
    expect(alive(cliPid)).toBe(true);
  });

  it("dies with its parent when started through bin/runner-cli", async () => {
    const { runner, cliPid } = await runnerWithCli(RUNNER_CLI);
    expect(readFileSync(`/proc/${cliPid}/cmdline`, "utf8")).toContain("stack\0ls");
    expect(alive(cliPid)).toBe(true);
    runner.kill("SIGKILL");
    const deadline = Date.now() + 2000;
    while (alive(cliPid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(alive(cliPid)).toBe(false);
  });
});
