// Entry point of `pulumi preview/up/refresh/destroy` in this folder: the CLI's Node.js language host (the official
// one, or bin/language-host.ts where none is installed) runs it. `npm run edge` serves the same program inline.
import { edgeNodeProgram } from "./program";

export = edgeNodeProgram();
