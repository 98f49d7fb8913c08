// Vitest compiles the TypeScript a test imports, but a `require` inside a module (the program's and the clients'
// lazy loads, e.g. program.ts's CA import) goes to Node's own loader, which cannot read TypeScript. Every test
// process therefore loads tsx's CommonJS hook, as every Node process the Pulumi CLI starts does (scripts/env.sh),
// so `npx vitest run <file>` and `npm run test:unit` work without sourcing scripts/env.sh first.
import { createRequire } from "node:module";
import { defineConfig } from "vitest/config";

const tsxHook = createRequire(import.meta.url).resolve("tsx/cjs");

export default defineConfig({
  test: { poolOptions: { forks: { execArgv: ["--require", tsxHook] } } },
});
