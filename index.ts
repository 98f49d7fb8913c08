// Entry point for a Pulumi CLI with its Node.js language host (`pulumi up` in this folder).
// On nodes where the language host is not available, `npm run edge -- up` runs the same program.
import { edgeNodeProgram } from "./program";

export = edgeNodeProgram();
