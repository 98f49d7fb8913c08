// ../shared beside the project holds what some tests need and a user's clone may lack: the EdgeX and EII sources,
// the contracts, Pulumi's official language host. A test that needs it asks here: where the folder is absent it
// skips with a printed reason, except under CI=true, where a missing path is an error (so a wrong path can never
// pass as a skip).
import { existsSync } from "node:fs";
import { resolve } from "node:path";

/** The shared folder: EDGE_SHARED_DIR, or `shared` beside the project folder. */
export const SHARED_DIR = process.env.EDGE_SHARED_DIR ?? resolve(__dirname, "../../../shared");

const reported = new Set<string>();

/**
 * The absolute path of `subpath` under the shared folder, or undefined (with one printed line naming the path and
 * what is not run) when it is absent. Under CI=true an absent path throws instead. Use with `describe.skipIf`.
 */
export function sharedPath(subpath: string, whatSkips: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const path = resolve(SHARED_DIR, subpath);
  if (existsSync(path)) return path;
  const reason = `${path} is absent: ${whatSkips} not run (it needs ../shared beside the project)`;
  if (env.CI === "true") throw new Error(`${reason}; under CI=true that is an error, not a skip`);
  if (!reported.has(path)) {
    reported.add(path);
    console.warn(`skipped: ${reason}`);
  }
  return undefined;
}
