// PlainFile's provider logic, loaded by name in the provider host (see ./dynamic-resource.ts).
import { changedKeys, implement } from "./dynamic-resource";
import { dirname } from "node:path";
import { fileState, readIfExists, removeDirIfEmpty, removeFile, writeFileAtomically } from "./files";
import type { PlainFileOutputs as Outputs, PlainFilePlain as Inputs } from "./plain-file";

const DEFAULT_MODE = 0o644;

export const provider = implement<Inputs, Outputs>({
  async create(inputs) {
    await writeFileAtomically(inputs.path, inputs.content, inputs.mode ?? DEFAULT_MODE, { uid: inputs.uid, gid: inputs.gid }, inputs.dirMode);
    return { id: inputs.path, outs: { ...inputs, onDisk: "intact" } };
  },

  async read(id, props) {
    return { id, props: { ...props, onDisk: fileState(props.path, props.content) } };
  },

  async diff(_id, olds, news) {
    const replaces: string[] = changedKeys(olds, news, ["path", "content", "mode", "dirMode", "uid", "gid"]);
    if (fileState(olds.path, olds.content) !== "intact") replaces.push("onDisk");
    // Same path: the old file goes first, so a reader never mistakes it for the new one.
    return { changes: replaces.length > 0, replaces, deleteBeforeReplace: olds.path === news.path };
  },

  async delete(_id, props) {
    // Only the content this resource wrote: a newer file at the same path is left alone.
    if (readIfExists(props.path) === props.content) removeFile(props.path);
    if (props.removeEmptyDir) removeDirIfEmpty(dirname(props.path));
  },
});
