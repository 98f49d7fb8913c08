// TypeScript for the processes the Pulumi CLI starts for this project (the program, through Pulumi.yaml's
// `nodeargs: --require @edge-security/clients/typescript`, and the dynamic-provider host, host.js): tsx's CommonJS
// hook for .ts files only. tsx also takes over .js, passing every file of every dependency through its transformer,
// which tripled the time to load a provider (measured: 1.2-1.4 s against 0.35-0.5 s for three PKI providers), so
// Node's own .js loader is put back; the dependencies are plain CommonJS or real ES modules (Node >= 20.19 requires
// those itself). Where a .ts loader is already registered (NODE_OPTIONS, the runner) nothing is added: two tsx
// copies would answer every esbuild call twice. Plain CommonJS, no dependency but tsx.
"use strict";
const Module = require("node:module");

if (!Module._extensions[".ts"]) {
  let tsx;
  for (const base of [process.cwd(), __dirname]) {
    try {
      tsx = require.resolve("tsx/cjs", { paths: [base] });
      break;
    } catch {
      // next
    }
  }
  if (!tsx) {
    process.stderr.write(`edge-security: tsx is not installed in ${process.cwd()}/node_modules (this project's TypeScript needs it): run \`npm install\`\n`);
    process.exit(1);
  }
  const nodeJs = Module._extensions[".js"];
  require(tsx);
  Module._extensions[".js"] = nodeJs;
}
