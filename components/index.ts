export { EdgeNode, EdgeNodeArgs, EdgeNodeOutputs } from "./edge-node";
export { Pki, PkiArgs } from "./pki";
