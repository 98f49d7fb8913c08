import { describe, expect, it } from "vitest";
import { changeCount, countsLine, failureLines, formatChanges, formatDuration, NodeView, oneLineError, policyViolation, progressFrame, progressLine, summaryTable } from "./format";
import { ProgressDisplay } from "./progress";

const view = (stack: string, rest: Partial<NodeView> = {}): NodeView => ({ stack, state: "pending", done: 0, seen: 0, ...rest });

describe("fleet display", () => {
  it("formats durations and changes", () => {
    expect(formatDuration(7.04)).toBe("7.0s");
    expect(formatDuration(61)).toBe("1m01s");
    expect(formatDuration(3 * 3600 + 5 * 60)).toBe("3h05m");
    expect(formatChanges({ same: 4, update: 1, create: 3 })).toBe("create 3, update 1");
    expect(formatChanges({ same: 9 })).toBe("none");
    expect(formatChanges(undefined)).toBe("-");
    expect(changeCount({ same: 4, update: 1, create: 3 })).toBe(4);
  });

  it("draws one progress line per node with its state, resources done / seen and elapsed time", () => {
    const now = 100_000;
    expect(progressLine(view("n1", { state: "running", done: 3, seen: 8, startedAt: now - 4200 }), 6, now)).toBe("n1      running      3/8 resources  4.2s");
    expect(progressLine(view("node-10", { state: "ok", resources: 12, changes: { create: 12 }, seconds: 9.5 }), 7, now)).toBe("node-10  ok           12 resources, changes: create 12  9.5s");
    expect(progressLine(view("bad", { state: "failed", error: "edge-security:services: must be a list", seconds: 1 }), 3, now)).toBe("bad  FAILED       edge-security:services: must be a list  1.0s");
    expect(progressLine(view("n2", { state: "skipped", convergedIn: "20261123T190000Z-42" }), 2, now)).toBe("n2  skipped      converged in run 20261123T190000Z-42");
    expect(progressLine(view("n3"), 2, now)).toBe("n3  waiting");
    expect(countsLine([view("a", { state: "ok" }), view("b", { state: "running" }), view("c"), view("d")])).toBe("1 ok, 1 running, 2 waiting");
  });

  it("fits the frame in the terminal's rows, running and failed nodes first", () => {
    const views = Array.from({ length: 30 }, (_, i) => view(`n${i}`, { state: i === 20 ? "running" : i === 25 ? "failed" : "ok" }));
    const frame = progressFrame("fleet up", views, 6, 0);
    expect(frame).toHaveLength(6);
    expect(frame[0]).toBe("fleet up: 28 ok, 1 failed, 1 running");
    expect(frame[1]).toMatch(/^n20 +running/);
    expect(frame[2]).toMatch(/^n25 +FAILED/);
    expect(frame[5]).toBe("... 26 more node(s)");
    expect(progressFrame("fleet up", views.slice(0, 3), 6, 0)).toHaveLength(4);
  });

  it("prints a summary table and names each failed node with its error on one line", () => {
    const views = [view("n1", { state: "ok", changes: { create: 5 }, seconds: 3 }), view("broken", { state: "failed", error: "edge-security:services: bad", seconds: 0.4 }), view("n2", { state: "skipped" }), view("n3", { state: "not started" })];
    expect(summaryTable(views).split("\n")).toEqual([
      "node    result       changes              duration",
      "------  -----------  -------------------  --------",
      "n1      ok           create 5             3.0s",
      "broken  FAILED       -                    0.4s",
      "n2      skipped      (converged earlier)  -",
      "n3      not started  -                    -",
    ]);
    expect(failureLines(views)).toEqual(["broken: edge-security:services: bad"]);
  });

  it("keeps the one line that says why a run failed", () => {
    expect(oneLineError(["update failed", "node-cert-svc-a: cannot write /x: permission denied\nmore detail"], new Error("x"))).toBe("node-cert-svc-a: cannot write /x: permission denied");
    const cliError = Object.assign(new Error("code: 255\n stdout: \n stderr: error: no stack named 'x' found\n"), {});
    expect(oneLineError([], cliError)).toBe("no stack named 'x' found");
    expect(oneLineError([], new Error("error: update failed\nerror: the stack is currently locked by 1 lock(s)"), "n7")).toBe("the stack is locked by another run; if none is going on (a run was killed), release it with: npm run pulumi -- cancel --stack n7 --yes");
    expect(oneLineError([], "boom")).toBe("boom");
    expect(oneLineError(["x".repeat(400)], undefined)).toHaveLength(300);
  });

  it("makes a policy violation one line: the policy's name and the violation's message, without colour tags", () => {
    // The engine's message: colour tags around the policy's description, then the violation's message.
    const message = "<{%reset%}>Service certificates and CAs live no longer than the maximum.\nsvc-a-cert: service certificate lifetime of 800 days is over the maximum of 398 days<{%reset%}>\n";
    expect(policyViolation({ policyName: "certificate-max-lifetime", message })).toBe("policy certificate-max-lifetime: svc-a-cert: service certificate lifetime of 800 days is over the maximum of 398 days");
    expect(policyViolation({ policyName: "p", message: "\x1b[31mone line\x1b[0m\n" })).toBe("policy p: one line");
    expect(policyViolation({ policyName: "p", message: "" })).toBe("policy p: violated");
  });

  it("writes plain lines when not on a terminal, only when a node's state changes", () => {
    let out = "";
    const views = [view("n1"), view("n2")];
    const display = new ProgressDisplay({ write: (s: string) => (out += s), isTTY: false }, "fleet up", views, () => 5000);
    display.start();
    views[0].state = "running";
    views[0].startedAt = 3000;
    display.changed(views[0], true);
    views[0].done = 1;
    display.changed(views[0], false);
    views[0].state = "ok";
    views[0].seconds = 2;
    views[0].changes = { create: 1 };
    views[0].resources = 1;
    display.changed(views[0], true);
    display.stop();
    expect(out).toBe("n1    running      0/0 resources  2.0s\nn1    ok           1 resources, changes: create 1  2.0s\n");
    expect(out).not.toContain("\x1b");
  });

  it("redraws in place on a terminal", () => {
    let out = "";
    const views = [view("n1", { state: "running", startedAt: 0, seen: 2 }), view("n2")];
    const display = new ProgressDisplay({ write: (s: string) => (out += s), isTTY: true, rows: 24, columns: 80 }, "fleet up", views, () => 1000);
    display.start();
    expect(out).toBe("fleet up: 1 running, 1 waiting\nn1    running      0/2 resources  1.0s\nn2    waiting\n");
    out = "";
    display.stop();
    // Back up the three lines drawn, erase them, draw the frame again.
    expect(out.startsWith("\x1b[3F\x1b[J")).toBe(true);
  });
});
