// The dynamic-provider host the CLI starts for this project's resources (`pulumi-nodejs:dynamic/...`), through
// Pulumi.yaml's `plugins.providers` entry. It is Pulumi's own host (@pulumi/pulumi/cmd/dynamic-provider, which
// evaluates each resource's stored provider line), started as the SDK's launcher starts it, plus two things:
// - TypeScript: the stored line requires `@edge-security/clients/providers/<concern>/<name>`, which the package's
//   exports map resolves to a .ts file (and releases before it to .ts clients). tsx's hook for .ts is registered
//   here (typescript.js), so no NODE_OPTIONS, no shell set-up and no build step are needed: a new client module or
//   provider is loaded as it is, and the code stored in existing states keeps resolving as before.
// - No process of a run outlives it: when the CLI that started it dies (SIGKILL included), this process is
//   re-parented; it then ends itself within a second, even in the middle of a create.
// Plain CommonJS: it runs before any loader exists.
"use strict";
const { join } = require("node:path");

function fail(message) {
  process.stderr.write(`edge-security provider host: ${message}\n`);
  process.exit(1);
}

// Resolved from the project the CLI runs in (its cwd), as the SDK's launcher does, else beside this package.
function resolveFrom(request) {
  for (const base of [process.cwd(), __dirname]) {
    try {
      return require.resolve(request, { paths: [base] });
    } catch {
      // next
    }
  }
  return undefined;
}

require("./end-with-parent").endWithParent();

require("./typescript");
const host = resolveFrom("@pulumi/pulumi/cmd/dynamic-provider");
if (!host) fail(`@pulumi/pulumi is not installed in ${join(process.cwd(), "node_modules")}: run \`npm install\` in ${process.cwd()}`);
require(host);
