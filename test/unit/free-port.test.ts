// freePort() (test/support/harness.ts) hands out ports that the servers of the integration tests bind later, some
// of them minutes later: below the kernel's ephemeral range (where every listen on port 0 and every outgoing
// connection of the machine draws from), never the same one twice, and free when handed out.
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { freePort } from "../support/harness";

const [ephemeralLow] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number);

describe("freePort", () => {
  it("hands out distinct ports below the ephemeral range, each one bindable on 127.0.0.1", async () => {
    const ports: number[] = [];
    for (let i = 0; i < 40; i++) ports.push(await freePort());
    expect(new Set(ports).size).toBe(ports.length);
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(1024);
      expect(port).toBeLessThan(ephemeralLow);
    }
    for (const port of ports) {
      const server = createServer();
      await new Promise<void>((bound, failed) => server.once("error", failed).listen(port, "127.0.0.1", () => bound()));
      await new Promise((closed) => server.close(closed));
    }
  });
});
