// Mosquitto 2's password file and ACL, made in Node (no mosquitto_passwd: its -b puts the password in the process
// list). A line is `<user>:$7$<iterations>$<salt>$<hash>`: PBKDF2-SHA512 of the password over 12 random salt bytes,
// 64 bytes, both in standard base64 (mosquitto's own format 7, 101 iterations: its src/password_mosq.c).
import { pbkdf2Sync, randomBytes, timingSafeEqual } from "node:crypto";

const ITERATIONS = 101;
const SALT_BYTES = 12;
const HASH_BYTES = 64;

export interface BrokerUser {
  username: string;
  password: string;
  /** Topic filters the user may publish and subscribe to (ACL `topic readwrite <filter>`). */
  topics: string[];
}

export function passwordLine(username: string, password: string): string {
  const salt = randomBytes(SALT_BYTES);
  const hash = pbkdf2Sync(password, salt, ITERATIONS, HASH_BYTES, "sha512");
  return `${username}:$7$${ITERATIONS}$${salt.toString("base64")}$${hash.toString("base64")}`;
}

export function passwordFile(users: BrokerUser[]): string {
  return users.map((u) => passwordLine(u.username, u.password)).join("\n") + "\n";
}

/** Whether the password file's content lets exactly these users in with these passwords. */
export function passwordFileMatches(content: string, users: BrokerUser[]): boolean {
  const lines = content.split("\n").filter((l) => l.trim() !== "");
  if (lines.length !== users.length) return false;
  return users.every((u) => lines.some((line) => verifyLine(line, u.username, u.password)));
}

function verifyLine(line: string, username: string, password: string): boolean {
  const colon = line.indexOf(":");
  if (line.slice(0, colon) !== username) return false;
  const [, kind, iterations, salt, hash] = line.slice(colon + 1).split("$");
  if (kind !== "7" || !/^\d+$/.test(iterations ?? "")) return false;
  const expected = Buffer.from(hash ?? "", "base64");
  if (expected.length === 0) return false;
  const actual = pbkdf2Sync(password, Buffer.from(salt ?? "", "base64"), Number(iterations), expected.length, "sha512");
  return timingSafeEqual(actual, expected);
}

/** The ACL: each user may read and write its topic filters, nothing else (anonymous access is off in the broker). */
export function aclFile(users: BrokerUser[]): string {
  return users.map((u) => [`user ${u.username}`, ...u.topics.map((t) => `topic readwrite ${t}`)].join("\n")).join("\n\n") + "\n";
}
