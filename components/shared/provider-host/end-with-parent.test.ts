// endWithParent: a process started by another (the CLI) ends within a second or two once that one is killed
// outright, and runs on while it lives. A real process tree: a parent node that starts the child and then waits.
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const WATCH = join(__dirname, "end-with-parent.js");
const running = (pid: number) => existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].startsWith("Z");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts parent -> child; the child watches its parent (or not) and would otherwise live a minute; `holdMs`: it
 * opens a hold of that long once its parent is gone. Returns both pids.
 */
async function tree(watch: boolean, holdMs = 0): Promise<{ parent: number; child: number }> {
  const hold = holdMs > 0 ? `const w = require(${JSON.stringify(WATCH)}); const p = process.ppid; const t = setInterval(() => { if (!w.alive(p)) { clearInterval(t); w.holding("test", () => new Promise((r) => setTimeout(r, ${holdMs}))); } }, 100);` : "";
  const child = `${watch ? `require(${JSON.stringify(WATCH)}).endWithParent();` : ""} ${hold} setTimeout(() => {}, 60000);`;
  const parent = spawn(process.execPath, ["-e", `const c = require("node:child_process").spawn(process.execPath, ["-e", ${JSON.stringify(child)}], { stdio: "ignore" }); console.log(c.pid); setTimeout(() => {}, 60000);`], { stdio: ["ignore", "pipe", "ignore"] });
  const childPid = await new Promise<number>((resolve) => parent.stdout!.once("data", (d: Buffer) => resolve(Number(String(d).trim()))));
  return { parent: parent.pid!, child: childPid };
}

describe.skipIf(process.platform !== "linux")("endWithParent", { timeout: 30_000 }, () => {
  it("ends the child within two seconds of its parent's SIGKILL, and not while the parent lives", async () => {
    const { parent, child } = await tree(true);
    await sleep(1500);
    expect(running(child)).toBe(true);
    process.kill(parent, "SIGKILL");
    await sleep(2500);
    expect(running(child)).toBe(false);
  });

  it("inside a hold, the child finishes that step first (announced to other processes), then ends", async () => {
    const { isHolding } = await import("./end-with-parent");
    const { parent, child } = await tree(true, 4000);
    await sleep(500);
    expect(isHolding(child)).toBe(false);
    process.kill(parent, "SIGKILL");
    await sleep(2500);
    expect(running(child)).toBe(true);
    expect(isHolding(child)).toBe(true);
    await sleep(4000);
    expect(running(child)).toBe(false);
    expect(isHolding(child)).toBe(false);
  });

  it("without it, the child outlives its parent (what the watch is for)", async () => {
    const { parent, child } = await tree(false);
    process.kill(parent, "SIGKILL");
    await sleep(2500);
    expect(running(child)).toBe(true);
    process.kill(child, "SIGKILL");
  });
});
