// BrokerUsers' provider logic, loaded by name in the provider host (see components/shared/dynamic-resource.ts).
import type * as pulumi from "@pulumi/pulumi";
import { readFileSync } from "node:fs";
import { changedKeys, implement } from "../shared/dynamic-resource";
import { readIfExists, removeFile, SECRET_FILE_MODE, writeFileAtomically } from "../shared/files";
import type { BrokerUsersInputs } from "./broker-users";
import { aclFile, passwordFile, passwordFileMatches } from "./passwd";

type Inputs = pulumi.Unwrap<BrokerUsersInputs>;

interface Outputs extends Inputs {
  live: "intact" | "missing" | "changed";
}

function liveState(props: Inputs): Outputs["live"] {
  const passwd = readIfExists(props.passwordFile);
  const acl = readIfExists(props.aclFile);
  if (passwd === undefined || acl === undefined) return "missing";
  return passwordFileMatches(passwd, props.users) && acl === aclFile(props.users) ? "intact" : "changed";
}

/** SIGHUP to the broker named by the pid file, when it runs (Linux: its /proc entry names mosquitto). */
function reload(pidFile: string | undefined): void {
  if (!pidFile) return;
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile, "utf8").split("\n")[0].trim());
  } catch {
    return; // not started yet: it reads the files when it starts
  }
  if (!Number.isInteger(pid) || pid <= 1) return;
  // Only mosquitto itself: before its readiness files exist the pid is the server script's waiting shell, which
  // SIGHUP would end (it starts the broker later, and the broker reads the files then).
  let command: string;
  try {
    command = readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return; // no such process
  }
  if (command !== "mosquitto") return;
  try {
    process.kill(pid, "SIGHUP");
  } catch {
    // no such process: it reads the files when it starts
  }
}

async function write(inputs: Inputs): Promise<Outputs> {
  const owner = { uid: inputs.uid, gid: inputs.gid };
  await writeFileAtomically(inputs.passwordFile, passwordFile(inputs.users), SECRET_FILE_MODE, owner);
  await writeFileAtomically(inputs.aclFile, aclFile(inputs.users), SECRET_FILE_MODE, owner);
  reload(inputs.pidFile);
  return { ...inputs, live: "intact" };
}

export const provider = implement<Inputs, Outputs>({
  async check(_olds, news) {
    const names = news.users.map((u) => u.username);
    const bad = names.find((n) => !/^[A-Za-z0-9_.-]+$/.test(n));
    if (bad !== undefined) return { failures: [{ property: "users", reason: `broker user ${JSON.stringify(bad)}: only letters, digits, '_', '.' and '-'` }] };
    const twice = names.find((n, i) => names.indexOf(n) !== i);
    if (twice !== undefined) return { failures: [{ property: "users", reason: `broker user ${JSON.stringify(twice)} is listed twice` }] };
    return { inputs: news };
  },

  async create(inputs) {
    return { id: inputs.passwordFile, outs: await write(inputs) };
  },

  async read(id, props) {
    return { id, props: { ...props, live: liveState(props) } };
  },

  async diff(_id, olds, news) {
    const replaces = changedKeys(olds, news, ["passwordFile", "aclFile"]);
    const changed: string[] = changedKeys(olds, news, ["users", "pidFile", "uid", "gid"]);
    if (liveState(olds) !== "intact") changed.push("live");
    return { changes: replaces.length + changed.length > 0, replaces, deleteBeforeReplace: true };
  },

  async update(_id, _olds, news) {
    return { outs: await write(news) };
  },

  async delete(_id, props) {
    removeFile(props.passwordFile);
    removeFile(props.aclFile);
    reload(props.pidFile);
  },
});
