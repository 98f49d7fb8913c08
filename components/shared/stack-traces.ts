// How the program's stack traces are formatted. The SDK records the whole call stack of every resource it registers
// (Resource.callsites, with Error.stackTraceLimit = Infinity) into the state, and takes a stack for every promise it
// makes for a resource's outputs (debuggablePromise, for its leak report). Each is formatted when it is taken.
import { sep } from "node:path";

const SDK_DIR = `${sep}node_modules${sep}@pulumi${sep}pulumi${sep}`;

/**
 * V8 formats this process's stack traces, not source-map-support. Why: source-map-support (installed by the SDK's
 * runner) formats each frame through a source-map lookup that finds no map for this project's TypeScript (tsx hands
 * its maps to Node, not to it), so it prints what V8 prints: 3.3 s of the program's 13.6 s of CPU in a cold `up` of
 * 200 services, for the same text. The source positions the state records are the same as before.
 */
export function formatStackTracesWithV8(): void {
  // Read once, as the SDK reads it (at its start), not for every promise.
  const promiseStacksPrinted = !!process.env.PULUMI_DEBUG_PROMISE_LEAKS;
  Error.prepareStackTrace = (error, frames) => {
    if (!promiseStacksPrinted && isSdkFrame(frames[0], "debuggablePromise")) return `${error}\n${UNFORMATTED_PROMISE_STACK}`;
    return `${error}\n${withoutRunnerFrames(frames).map((frame) => `    at ${frame}`).join("\n")}`;
  };
}

/**
 * What stands for the stack of an SDK output promise. The SDK prints those stacks only in its leak report with
 * PULUMI_DEBUG_PROMISE_LEAKS set (then they are formatted in full), so formatting the ten frames of each of them is
 * work nobody reads: 0.3-1.2 s of the program's CPU in a no-op preview of 715 resources (three previews each way).
 */
export const UNFORMATTED_PROMISE_STACK = "    (stack not formatted: set PULUMI_DEBUG_PROMISE_LEAKS to see it)";

/**
 * The call stack the SDK records for a resource ends, when the program awaited something before it built the
 * node, with the SDK runner's own async frames (cmd/run, runtime/stack.js, resource.js, one without a position):
 * the same four in every resource of the state, about 300 bytes and 10 JSON values of each, rewritten at every
 * checkpoint. They are left out of those traces only; the frames above, the resource's own source position among
 * them, are kept as they are. Other errors' stacks are untouched.
 */
function withoutRunnerFrames(frames: NodeJS.CallSite[]): NodeJS.CallSite[] {
  if (!isSdkFrame(frames[0], "callsites")) return frames;
  let end = frames.length;
  while (end > 0 && isSdkOrInternal(frames[end - 1])) end--;
  return end === 0 ? frames : frames.slice(0, end);
}

function isSdkOrInternal(frame: NodeJS.CallSite): boolean {
  const file = frame.getFileName();
  return !file || file.startsWith("node:") || file.includes(SDK_DIR);
}

function isSdkFrame(frame: NodeJS.CallSite | undefined, functionName: string): boolean {
  return frame?.getFunctionName() === functionName && (frame.getFileName() ?? "").includes(SDK_DIR);
}
