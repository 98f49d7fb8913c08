// The project's language host, called through its real gRPC service by the SDK's own generated client.
// (The integration tests drive it through the Pulumi CLI: test/integration/cli.test.ts.)
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import * as langproto from "@pulumi/pulumi/proto/language_pb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseHostArgs, programCommand, serve } from "../../bin/language-host";

const langrpc = require("@pulumi/pulumi/proto/language_grpc_pb");
const PROJECT_ROOT = resolve(__dirname, "../..");

let server: grpc.Server;
let client: any;
let dir: string;

/** Calls one unary RPC; resolves to its response or rejects with the gRPC error. */
function call<T>(method: string, request: unknown): Promise<T> {
  return new Promise((done, fail) => client[method](request, (err: grpc.ServiceError | null, res: T) => (err ? fail(err) : done(res))));
}

function info(options: Record<string, unknown> = {}): langproto.ProgramInfo {
  return new langproto.ProgramInfo().setRootDirectory(dir).setProgramDirectory(dir).setEntryPoint("index.js").setOptions(Struct.fromJavaScript(options as any));
}

function runRequest(program: string, options: Record<string, unknown> = {}): langproto.RunRequest {
  const req = new langproto.RunRequest().setProject("p").setStack("s").setPwd(dir).setProgram(program).setMonitorAddress("127.0.0.1:1").setInfo(info(options));
  req.getConfigMap().set("p:greeting", "hello");
  return req.setConfigsecretkeysList(["p:greeting"]);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "langhost-"));
  // A project with the real SDK and one installed package that declares a resource plugin.
  mkdirSync(join(dir, "node_modules", "@acme", "thing"), { recursive: true });
  symlinkSync(join(PROJECT_ROOT, "node_modules", "@pulumi"), join(dir, "node_modules", "@pulumi"));
  writeFileSync(join(dir, "node_modules", "@acme", "thing", "package.json"), JSON.stringify({ name: "@acme/thing", version: "1.2.3", pulumi: { resource: true, name: "thing", server: "https://example.invalid/plugins" } }));
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "p", dependencies: { "@acme/thing": "^1", "@pulumi/pulumi": "3.248.0" }, devDependencies: { absent: "1" } }));
  // Preloaded scripts (`nodeargs`) that end the process before cmd/run reaches the engine: what the host hands the
  // program (environment, command line) and how it reports exit codes. The integration tests run real programs.
  writeFileSync(join(dir, "exit3.js"), "process.exit(3);\n");
  writeFileSync(join(dir, "exit32.js"), "process.exit(32);\n");
  writeFileSync(join(dir, "env.js"), `require("fs").writeFileSync(${JSON.stringify(join(dir, "seen.json"))}, JSON.stringify({ config: process.env.PULUMI_CONFIG, secretKeys: process.env.PULUMI_CONFIG_SECRET_KEYS, typescript: process.env.PULUMI_NODEJS_TYPESCRIPT, argv: process.argv.slice(1) })); process.exit(0);\n`);
  ({ server } = await serve("127.0.0.1:2").then(async (s) => {
    client = new langrpc.LanguageRuntimeClient(`127.0.0.1:${s.port}`, grpc.credentials.createInsecure());
    return s;
  }));
});

afterAll(() => {
  client?.close();
  server?.forceShutdown();
  rmSync(dir, { recursive: true, force: true });
});

describe("language host RPCs", () => {
  it("GetPluginInfo reports the SDK's version", async () => {
    const res: any = await call("getPluginInfo", new Empty());
    expect(res.getVersion()).toBe(require("@pulumi/pulumi/package.json").version);
  });

  it("GetRequiredPackages and GetRequiredPlugins list the packages that declare a resource plugin", async () => {
    const pkgs: langproto.GetRequiredPackagesResponse = await call("getRequiredPackages", new langproto.GetRequiredPackagesRequest().setInfo(info()));
    expect(pkgs.getPackagesList().map((p) => [p.getName(), p.getKind(), p.getVersion(), p.getServer()])).toEqual([["thing", "resource", "1.2.3", "https://example.invalid/plugins"]]);
    const plugins: langproto.GetRequiredPluginsResponse = await call("getRequiredPlugins", new langproto.GetRequiredPluginsRequest().setInfo(info()));
    expect(plugins.getPluginsList().map((p) => p.getName())).toEqual(["thing"]);
  });

  it("GetProgramDependencies gives package.json's dependencies with their installed versions", async () => {
    const res: langproto.GetProgramDependenciesResponse = await call("getProgramDependencies", new langproto.GetProgramDependenciesRequest().setInfo(info()));
    expect(res.getDependenciesList().map((d) => [d.getName(), d.getVersion()])).toEqual([
      ["@acme/thing", "1.2.3"],
      ["@pulumi/pulumi", require("@pulumi/pulumi/package.json").version],
      ["absent", ""],
    ]);
  });

  it("About names the node executable and its version", async () => {
    const res: langproto.AboutResponse = await call("about", new langproto.AboutRequest().setInfo(info()));
    expect([res.getExecutable(), res.getVersion()]).toEqual([process.execPath, process.versions.node]);
  });

  it("Handshake and InstallDependencies answer Unimplemented (the CLI tolerates it)", async () => {
    await expect(call("handshake", new langproto.LanguageHandshakeRequest())).rejects.toMatchObject({ code: grpc.status.UNIMPLEMENTED });
    const stream = client.installDependencies(new langproto.InstallDependenciesRequest().setInfo(info()));
    await expect(new Promise((_, fail) => stream.on("error", fail))).rejects.toMatchObject({ code: grpc.status.UNIMPLEMENTED });
  });

  it("Run starts the SDK's cmd/run with the config, secret keys, flags and runtime options", async () => {
    const res: langproto.RunResponse = await call("run", runRequest("index.js", { typescript: false, nodeargs: "--require ./env.js" }).setDryrun(true).setParallel(8).setArgsList(["extra"]));
    expect([res.getError(), res.getBail()]).toEqual(["", false]);
    const seen = JSON.parse(require("node:fs").readFileSync(join(dir, "seen.json"), "utf8"));
    expect(JSON.parse(seen.config)).toEqual({ "p:greeting": "hello" });
    expect(JSON.parse(seen.secretKeys)).toEqual(["p:greeting"]);
    expect(seen.typescript).toBe("false");
    expect(seen.argv[0]).toMatch(/@pulumi\/pulumi\/cmd\/run\/index\.js$/);
    expect(seen.argv.slice(1)).toEqual(["--monitor=127.0.0.1:1", "--engine=127.0.0.1:2", "--project=p", "--stack=s", `--pwd=${dir}`, `--root-directory=${dir}`, "--dry-run", "--parallel=8", "index.js", "extra"]);
  });

  it("Run reports a program's non-zero exit code, and exit code 32 (error already shown) as bail", async () => {
    const res: langproto.RunResponse = await call("run", runRequest("index.js", { nodeargs: "--require ./exit3.js" }));
    expect([res.getError(), res.getBail()]).toEqual(["Program exited with non-zero exit code: 3", false]);
    const reported: langproto.RunResponse = await call("run", runRequest("index.js", { nodeargs: "--require ./exit32.js" }));
    expect([reported.getError(), reported.getBail()]).toEqual(["", true]);
  });

  it("RunPlugin runs a policy pack on the SDK's run-policy-pack in the pack's folder, streams its output, then its exit code", async () => {
    // The preloaded script stands in for the pack: it prints what it was given and exits 3.
    writeFileSync(join(dir, "plugin.js"), `console.log(JSON.stringify({ argv: process.argv.slice(1), cwd: process.cwd(), env: process.env.FROM_CLI, ts: process.env.PULUMI_NODEJS_TYPESCRIPT })); console.error("to stderr"); process.exit(3);\n`);
    const req = new langproto.RunPluginRequest().setPwd(tmpdir()).setKind("analyzer").setArgsList(["127.0.0.1:7"]).setEnvList(["FROM_CLI=yes", `PATH=${process.env.PATH}`]);
    req.setInfo(info({ typescript: false, nodeargs: `--require ${join(dir, "plugin.js")}` }));
    const stream = client.runPlugin(req);
    let stdout = "";
    let stderr = "";
    const exitCode = await new Promise<number>((done, fail) => {
      stream.on("data", (res: langproto.RunPluginResponse) => {
        if (res.hasStdout()) stdout += Buffer.from(res.getStdout_asU8()).toString();
        if (res.hasStderr()) stderr += Buffer.from(res.getStderr_asU8()).toString();
        if (res.hasExitcode()) done(res.getExitcode());
      });
      stream.on("error", fail);
    });
    expect(exitCode).toBe(3);
    expect(stderr).toBe("to stderr\n");
    const seen = JSON.parse(stdout);
    expect(seen.argv[0]).toMatch(/@pulumi\/pulumi\/cmd\/run-policy-pack\/index\.js$/);
    expect(seen.argv.slice(1)).toEqual(["127.0.0.1:7", dir]);
    expect([seen.cwd, seen.env, seen.ts]).toEqual([dir, "yes", "false"]);
  });

  it("RunPlugin fails in one line when the plugin's folder has no SDK", async () => {
    const empty = mkdtempSync(join(tmpdir(), "langhost-empty-"));
    try {
      const req = new langproto.RunPluginRequest().setKind("analyzer").setInfo(new langproto.ProgramInfo().setRootDirectory(empty).setProgramDirectory(empty).setEntryPoint("."));
      const stream = client.runPlugin(req);
      await expect(new Promise((_, fail) => stream.on("error", fail))).rejects.toMatchObject({
        code: grpc.status.FAILED_PRECONDITION,
        details: `It looks like the Pulumi SDK has not been installed for ${empty} (@pulumi/pulumi/cmd/run-policy-pack not found). Have you run npm install?`,
      });
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it("Run says so in one line when the SDK is not installed", async () => {
    const empty = mkdtempSync(join(tmpdir(), "langhost-empty-"));
    try {
      const res: langproto.RunResponse = await call("run", runRequest("index.js").setPwd(empty));
      expect(res.getError()).toBe(`It looks like the Pulumi SDK has not been installed in ${empty}. Have you run npm install?`);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe("language host command line", () => {
  it("takes the engine address as the last positional argument and keeps --tracing", () => {
    expect(parseHostArgs(["--logtostderr", "-v=9", "--tracing", "http://t", "127.0.0.1:5000"])).toEqual({ engineAddress: "127.0.0.1:5000", tracing: "http://t" });
    expect(parseHostArgs(["127.0.0.1:5000"])).toEqual({ engineAddress: "127.0.0.1:5000", tracing: undefined });
  });

  it("passes nodeargs before the run script and the typescript option as the official host does", () => {
    const cmd = programCommand(runRequest("index.ts", { nodeargs: "--require tsx/cjs  --no-warnings" }), "127.0.0.1:2");
    expect(cmd.args.slice(0, 3)).toEqual(["--require", "tsx/cjs", "--no-warnings"]);
    expect(cmd.args[3]).toMatch(/@pulumi\/pulumi\/cmd\/run\/index\.js$/);
    expect(cmd.args).toContain("--engine=127.0.0.1:2");
    expect(cmd.args.at(-1)).toBe("index.ts");
    expect(cmd.env.PULUMI_NODEJS_TYPESCRIPT).toBe("true");
  });
});
