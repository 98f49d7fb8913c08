// Prints a short-lived signed JWT for a gateway user (EdgeX's `secrets-config proxy jwt`), made with the user's
// private key in the user's own folder, for Kong's jwt plugin: `iss` is the user's credential key, `exp` is
// always set (Kong checks it, and refuses one further away than the gateway's maximum expiration).
//   npm run kong-jwt -- <user folder> [--ttl SECONDS]
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { importPKCS8, SignJWT } from "jose";
import { JwtSettings, USER_FILES } from "../components/gateway/kong/kong-user-files";

class UsageError extends Error {}

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({ allowPositionals: true, options: { ttl: { type: "string" } } });
  const dir = positionals[0];
  if (!dir || positionals.length > 1) throw new UsageError("usage: npm run kong-jwt -- <user folder, e.g. /run/edge-security/secrets/gateway-users/alice> [--ttl SECONDS]");
  const read = (name: string) => {
    try {
      return readFileSync(join(dir, name), "utf8");
    } catch (err) {
      throw new UsageError(`${join(dir, name)} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); is ${dir} a gateway user's folder with a JWT credential?`);
    }
  };
  const settings: JwtSettings = JSON.parse(read(USER_FILES.jwtSettings));
  const ttl = values.ttl === undefined ? Math.min(3600, settings.maximumExpirationSeconds) : Number(values.ttl);
  if (!Number.isInteger(ttl) || ttl < 1) throw new UsageError(`--ttl: ${JSON.stringify(values.ttl)} is not a whole number of seconds`);
  if (ttl > settings.maximumExpirationSeconds) throw new UsageError(`--ttl: ${ttl} s is more than the gateway accepts (${settings.maximumExpirationSeconds} s, gateway.kong.jwt.maximumExpirationSeconds)`);
  const key = await importPKCS8(read(USER_FILES.jwtKey), settings.algorithm);
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({}).setProtectedHeader({ alg: settings.algorithm, typ: "JWT" }).setIssuer(settings.key).setIssuedAt(now).setExpirationTime(now + ttl).sign(key);
  process.stdout.write(`${token}\n`);
}

main().catch((err) => {
  process.stderr.write(`kong-jwt: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(err instanceof UsageError ? 2 : 1);
});
