// The project's own Node.js language host (`pulumi-language-nodejs`), for a Pulumi CLI that ships without one
// (the CLI built here: the module proxy refuses the official host's Go module). A stock Pulumi install brings
// its own host, and scripts/setup.sh installs this one only where none is present.
//
// The CLI starts it as `pulumi-language-nodejs [--logtostderr] [-v=N] [--tracing URL] <engineAddr>` in the
// project folder; it prints its gRPC port on stdout, then the CLI calls GetPluginInfo, GetRequiredPackages,
// Run (once per preview/up/refresh/destroy that runs the program) and About. Run starts Node on the SDK's own
// `@pulumi/pulumi/cmd/run`, as the official host does, with the same flags and environment. RunPlugin starts a
// plugin written in Node.js: the CLI (3.2xx) runs a TypeScript policy pack (`--policy-pack`) this way, since the
// `pulumi-analyzer-policy` launcher script left the official distribution. Handshake, InstallDependencies,
// RuntimeOptionsPrompts, Template, code generation, Pack, Link and Cancel answer Unimplemented, which the CLI
// tolerates for every command that runs a program (`pulumi install`, `pulumi new` and `pulumi package` need a
// stock host).
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { constants } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import type { Empty } from "google-protobuf/google/protobuf/empty_pb";
import * as langproto from "@pulumi/pulumi/proto/language_pb";
import * as plugproto from "@pulumi/pulumi/proto/plugin_pb";
import { endWithParent } from "../components/shared/provider-host/end-with-parent";

const langrpc: { LanguageRuntimeService: grpc.ServiceDefinition } = require("@pulumi/pulumi/proto/language_grpc_pb");

/** The exit code by which `@pulumi/pulumi/cmd/run` says it already reported the program's error to the user. */
export const EXIT_ERROR_REPORTED = 32;

/** What the official host reads from Pulumi.yaml's `runtime.options`. */
export interface RuntimeOptions {
  typescript: boolean;
  nodeargs: string[];
  tsconfig?: string;
}

export function runtimeOptions(info: langproto.ProgramInfo | undefined): RuntimeOptions {
  const raw = (info?.getOptions()?.toJavaScript() ?? {}) as Record<string, unknown>;
  return {
    typescript: raw.typescript === undefined ? true : raw.typescript === true || raw.typescript === "true",
    nodeargs: typeof raw.nodeargs === "string" ? raw.nodeargs.split(/\s+/).filter(Boolean) : [],
    tsconfig: typeof raw.tsconfig === "string" ? raw.tsconfig : undefined,
  };
}

/** The `node` command line and environment for one Run, as the official host builds them. */
export function programCommand(req: langproto.RunRequest, engineAddress: string, tracing?: string): { args: string[]; env: NodeJS.ProcessEnv; cwd: string } {
  const info = req.getInfo();
  const options = runtimeOptions(info);
  const cwd = req.getPwd() || info?.getProgramDirectory() || process.cwd();
  let runScript: string;
  try {
    runScript = createRequire(join(cwd, "package.json")).resolve("@pulumi/pulumi/cmd/run");
  } catch {
    throw new Error(`It looks like the Pulumi SDK has not been installed in ${cwd}. Have you run npm install?`);
  }
  const flags = [
    `--monitor=${req.getMonitorAddress()}`,
    ...(engineAddress ? [`--engine=${engineAddress}`] : []),
    `--project=${req.getProject()}`,
    `--stack=${req.getStack()}`,
    `--pwd=${cwd}`,
    ...(req.getOrganization() ? [`--organization=${req.getOrganization()}`] : []),
    ...(info?.getRootDirectory() ? [`--root-directory=${info.getRootDirectory()}`] : []),
    ...(req.getDryrun() ? ["--dry-run"] : []),
    ...(req.getQuerymode() ? ["--query-mode"] : []),
    ...(req.getParallel() ? [`--parallel=${req.getParallel()}`] : []),
    ...(tracing ? [`--tracing=${tracing}`] : []),
  ];
  const config = Object.fromEntries(req.getConfigMap().getEntryList());
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PULUMI_CONFIG: JSON.stringify(config),
    PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(req.getConfigsecretkeysList()),
    PULUMI_NODEJS_TYPESCRIPT: String(options.typescript),
  };
  if (options.tsconfig) env.PULUMI_NODEJS_TSCONFIG_PATH = options.tsconfig;
  return { args: [...options.nodeargs, runScript, ...flags, req.getProgram() || ".", ...req.getArgsList()], env, cwd };
}

/** Runs the program to completion; its output goes to this host's stdout/stderr, which the CLI displays. */
export function runProgram(req: langproto.RunRequest, engineAddress: string, tracing?: string): Promise<{ error: string; bail: boolean }> {
  let command;
  try {
    command = programCommand(req, engineAddress, tracing);
  } catch (err) {
    return Promise.resolve({ error: (err as Error).message, bail: false });
  }
  return new Promise((done) => {
    const child = spawn(process.execPath, command.args, { cwd: command.cwd, env: command.env, stdio: ["ignore", "inherit", "inherit"] });
    running.add(child);
    child.once("error", (err) => done({ error: `could not start node: ${err.message}`, bail: false }));
    child.once("exit", (code, signal) => {
      running.delete(child);
      if (code === 0) done({ error: "", bail: false });
      else if (code === EXIT_ERROR_REPORTED) done({ error: "", bail: true });
      else if (signal) done({ error: `Program exited with signal ${signal}`, bail: false });
      else done({ error: `Program exited with non-zero exit code: ${code}`, bail: false });
    });
  });
}

/**
 * The `node` command line, environment and folder for one RunPlugin. A policy pack (kind "analyzer") runs on the
 * SDK's `cmd/run-policy-pack` with `<engine> <pack folder>` and in the pack's folder, as the official host runs
 * it; any other plugin on `cmd/run-plugin` with `<plugin folder> <args>` in the CLI's folder. The SDK is resolved
 * from the plugin's folder (a pack inside this project finds the project's node_modules). The environment is the
 * one the CLI sends (the pack's index.js registers tsx itself).
 */
export function pluginCommand(req: langproto.RunPluginRequest): { args: string[]; env: NodeJS.ProcessEnv; cwd: string } {
  const info = req.getInfo();
  const options = runtimeOptions(info);
  const dir = info?.getProgramDirectory() || req.getPwd() || process.cwd();
  const analyzer = req.getKind() === "analyzer";
  const module = analyzer ? "@pulumi/pulumi/cmd/run-policy-pack" : "@pulumi/pulumi/cmd/run-plugin";
  let runScript: string;
  try {
    runScript = createRequire(join(dir, "package.json")).resolve(module);
  } catch {
    throw new Error(`It looks like the Pulumi SDK has not been installed for ${dir} (${module} not found). Have you run npm install?`);
  }
  const sent = req.getEnvList();
  const env: NodeJS.ProcessEnv = sent.length > 0 ? Object.fromEntries(sent.map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)])) : { ...process.env };
  env.PULUMI_NODEJS_TYPESCRIPT = String(options.typescript);
  if (options.tsconfig) env.PULUMI_NODEJS_TSCONFIG_PATH = options.tsconfig;
  const args = analyzer ? [...options.nodeargs, runScript, ...req.getArgsList(), dir] : [...options.nodeargs, runScript, dir, ...req.getArgsList()];
  return { args, env, cwd: analyzer ? dir : req.getPwd() || dir };
}

/**
 * Runs a plugin and streams its stdout and stderr to the CLI (the CLI reads the plugin's port from stdout), then
 * its exit code. When the CLI is done with the plugin it cancels the call: the plugin is stopped with it.
 */
export function runPlugin(call: grpc.ServerWritableStream<langproto.RunPluginRequest, langproto.RunPluginResponse>): void {
  let command;
  try {
    command = pluginCommand(call.request);
  } catch (err) {
    // How grpc-js ends a server stream with a status: an "error" event carrying code and details.
    call.emit("error", { code: grpc.status.FAILED_PRECONDITION, details: (err as Error).message });
    return;
  }
  const child = spawn(process.execPath, command.args, { cwd: command.cwd, env: command.env, stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  const send = (response: langproto.RunPluginResponse) => {
    if (!call.cancelled && call.writable) call.write(response);
  };
  child.stdout!.on("data", (chunk: Buffer) => send(new langproto.RunPluginResponse().setStdout(new Uint8Array(chunk))));
  child.stderr!.on("data", (chunk: Buffer) => send(new langproto.RunPluginResponse().setStderr(new Uint8Array(chunk))));
  call.on("cancelled", () => child.kill("SIGTERM"));
  let failed = false;
  child.once("error", (err) => {
    failed = true;
    running.delete(child);
    call.emit("error", { code: grpc.status.INTERNAL, details: `could not start node: ${err.message}` });
  });
  // "close", not "exit": every byte of its output is sent before the exit code.
  child.once("close", (code, signal) => {
    running.delete(child);
    if (failed) return;
    send(new langproto.RunPluginResponse().setExitcode(code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : 1)));
    if (!call.cancelled) call.end();
  });
}

/** Running programs: ended with the host, so no process of a run outlives it. */
const running = new Set<ReturnType<typeof spawn>>();

function readJson(file: string): Record<string, any> | undefined {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return undefined;
  }
}

/** The package.json of every package installed at the top of `<dir>/node_modules` (scoped ones included). */
function installedPackages(dir: string): Record<string, any>[] {
  const root = join(dir, "node_modules");
  if (!existsSync(root)) return [];
  const folders = readdirSync(root).flatMap((name) =>
    name.startsWith("@") ? readdirSync(join(root, name)).map((sub) => join(root, name, sub)) : name.startsWith(".") ? [] : [join(root, name)],
  );
  return folders.map((f) => readJson(join(f, "package.json"))).filter((p): p is Record<string, any> => p !== undefined);
}

/**
 * Packages that declare a Pulumi resource plugin (`"pulumi": {"resource": true}` in their package.json), as the
 * official host reports them; this project depends on none (its resources are dynamic providers).
 */
export function requiredPlugins(programDirectory: string): { name: string; version: string; server?: string }[] {
  return installedPackages(programDirectory)
    .filter((p) => p.pulumi?.resource === true)
    .map((p) => ({ name: p.pulumi.name ?? String(p.name).replace(/^@pulumi\//, ""), version: p.pulumi.version ?? p.version, server: p.pulumi.server }));
}

/** The program's direct dependencies with their installed versions (`pulumi about`). */
export function programDependencies(programDirectory: string): { name: string; version: string }[] {
  const manifest = readJson(join(programDirectory, "package.json")) ?? {};
  const names = Object.keys({ ...manifest.dependencies, ...manifest.devDependencies }).sort();
  return names.map((name) => ({ name, version: readJson(join(programDirectory, "node_modules", name, "package.json"))?.version ?? "" }));
}

function programDirectoryOf(info: langproto.ProgramInfo | undefined): string {
  return info?.getProgramDirectory() || process.cwd();
}

function sdkVersion(): string {
  return require("@pulumi/pulumi/package.json").version;
}

type Unary<Req, Res> = (call: grpc.ServerUnaryCall<Req, Res>, callback: grpc.sendUnaryData<Res>) => void;

/** The implemented RPCs; grpc-js answers Unimplemented for the others. */
export function languageRuntime(engineAddress: string, tracing?: string) {
  const getPluginInfo: Unary<Empty, plugproto.PluginInfo> = (_call, callback) => {
    callback(null, new plugproto.PluginInfo().setVersion(sdkVersion()));
  };
  const getRequiredPackages: Unary<langproto.GetRequiredPackagesRequest, langproto.GetRequiredPackagesResponse> = (call, callback) => {
    const packages = requiredPlugins(programDirectoryOf(call.request.getInfo())).map((p) => {
      const dep = new plugproto.PackageDependency().setName(p.name).setKind("resource").setVersion(p.version);
      return p.server ? dep.setServer(p.server) : dep;
    });
    callback(null, new langproto.GetRequiredPackagesResponse().setPackagesList(packages));
  };
  const getRequiredPlugins: Unary<langproto.GetRequiredPluginsRequest, langproto.GetRequiredPluginsResponse> = (call, callback) => {
    const plugins = requiredPlugins(call.request.getInfo() ? programDirectoryOf(call.request.getInfo()) : call.request.getPwd()).map((p) => {
      const dep = new plugproto.PluginDependency().setName(p.name).setKind("resource").setVersion(p.version);
      return p.server ? dep.setServer(p.server) : dep;
    });
    callback(null, new langproto.GetRequiredPluginsResponse().setPluginsList(plugins));
  };
  const run: Unary<langproto.RunRequest, langproto.RunResponse> = (call, callback) => {
    runProgram(call.request, engineAddress, tracing).then(({ error, bail }) => callback(null, new langproto.RunResponse().setError(error).setBail(bail)));
  };
  const about: Unary<langproto.AboutRequest, langproto.AboutResponse> = (_call, callback) => {
    callback(null, new langproto.AboutResponse().setExecutable(process.execPath).setVersion(process.versions.node));
  };
  const getProgramDependencies: Unary<langproto.GetProgramDependenciesRequest, langproto.GetProgramDependenciesResponse> = (call, callback) => {
    const deps = programDependencies(call.request.getInfo() ? programDirectoryOf(call.request.getInfo()) : call.request.getPwd());
    callback(null, new langproto.GetProgramDependenciesResponse().setDependenciesList(deps.map((d) => new langproto.DependencyInfo().setName(d.name).setVersion(d.version))));
  };
  return { getPluginInfo, getRequiredPackages, getRequiredPlugins, run, runPlugin, about, getProgramDependencies };
}

/** Serves the language runtime on a free loopback port; resolves to the server and its port. */
export function serve(engineAddress: string, tracing?: string): Promise<{ server: grpc.Server; port: number }> {
  // The same message-size limit as the SDK's own servers: a program's config can be large.
  const server = new grpc.Server({ "grpc.max_receive_message_length": 400 * 1024 * 1024 });
  server.addService(langrpc.LanguageRuntimeService, languageRuntime(engineAddress, tracing) as unknown as grpc.UntypedServiceImplementation);
  return new Promise((resolvePort, reject) => {
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolvePort({ server, port })));
  });
}

/** `[--logtostderr] [-v=N] [--tracing URL] <engineAddr>`: the engine address is the last positional argument. */
export function parseHostArgs(argv: string[]): { engineAddress: string; tracing?: string } {
  const positionals: string[] = [];
  let tracing: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--tracing" || arg === "-tracing") tracing = argv[++i];
    else if (/^--?tracing=/.test(arg)) tracing = arg.split("=").slice(1).join("=");
    else if (!arg.startsWith("-")) positionals.push(arg);
    // other flags (--logtostderr, -v=N, --root ...) only tune logging in the official host
  }
  return { engineAddress: positionals[positionals.length - 1] ?? "", tracing };
}

if (require.main === module) {
  const { engineAddress, tracing } = parseHostArgs(process.argv.slice(2));
  const stop = (signal: NodeJS.Signals) => {
    for (const child of running) child.kill(signal);
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  // A CLI killed outright (SIGKILL) takes nobody down: this host and the program it runs end within a second.
  endWithParent(() => {
    for (const child of running) child.kill("SIGKILL");
  });
  serve(engineAddress, tracing).then(
    ({ port }) => process.stdout.write(`${port}\n`),
    (err) => {
      process.stderr.write(`pulumi-language-nodejs: ${(err as Error).message}\n`);
      process.exit(1);
    },
  );
}
