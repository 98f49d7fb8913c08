// Mosquitto's password file made in Node: the same format as mosquitto_passwd (checked both ways with the real tool
// and the real broker's format), and the ACL.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { aclFile, passwordFile, passwordFileMatches } from "./passwd";

const users = [{ username: "msgbususer", password: "c2VjcmV0LXBhc3N3b3JkLTAxMjM0NTY3ODkwMTIzNDU2", topics: ["edgex/#"] }];

describe("mosquitto password file", () => {
  it("verifies a line written by mosquitto_passwd, and refuses another password or user", () => {
    const dir = mkdtempSync(join(tmpdir(), "passwd-"));
    try {
      // -U hashes a plain `user:password` file in place: the password never is in the process list.
      const file = join(dir, "passwd");
      require("node:fs").writeFileSync(file, `msgbususer:${users[0].password}\n`, { mode: 0o600 });
      execFileSync("mosquitto_passwd", ["-U", file]);
      const content = readFileSync(file, "utf8");
      expect(content).toMatch(/^msgbususer:\$7\$101\$/);
      expect(passwordFileMatches(content, users)).toBe(true);
      expect(passwordFileMatches(content, [{ ...users[0], password: users[0].password + "x" }])).toBe(false);
      expect(passwordFileMatches(content, [{ ...users[0], username: "other" }])).toBe(false);
      expect(passwordFileMatches(content, [...users, { username: "b", password: "p", topics: [] }])).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("writes mosquitto's format 7 with a fresh salt each time, never the password itself", () => {
    const a = passwordFile(users);
    const b = passwordFile(users);
    expect(a).toMatch(/^msgbususer:\$7\$101\$[A-Za-z0-9+/]{16}\$[A-Za-z0-9+/]{86}==\n$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain(users[0].password);
    expect(passwordFileMatches(a, users) && passwordFileMatches(b, users)).toBe(true);
  });

  it("gives each user its topic filters, read and write, and nothing else", () => {
    expect(aclFile([...users, { username: "b", password: "p", topics: ["x/#", "y"] }])).toBe("user msgbususer\ntopic readwrite edgex/#\n\nuser b\ntopic readwrite x/#\ntopic readwrite y\n");
  });
});
