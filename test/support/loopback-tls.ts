// A throw-away CA and a server certificate for a loopback server of the tests and benches (the state backends: the
// private PostgreSQL of state-backend-server.ts, the SeaweedFS S3 endpoint of s3-server.ts). The name is checked by
// the clients (sslmode=verify-full, the AWS SDK's TLS), so the certificate names 127.0.0.1 in its CN and SAN.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { openssl } from "./harness";

export interface LoopbackTls {
  /** The CA's certificate: what the clients trust (sslrootcert, AWS_CA_BUNDLE). */
  caFile: string;
  certFile: string;
  keyFile: string;
}

/**
 * Makes a CA named `caName` in `caDir` (ca.key, ca.pem) and a P-256 server key and certificate for 127.0.0.1 and
 * localhost in `serverDir` (server.key, server.crt), both valid for two days: long enough for one run, useless
 * after. The caller sets the key file's owner and mode for its server.
 */
export function loopbackTls(caDir: string, serverDir: string, caName: string): LoopbackTls {
  const ca = (f: string) => join(caDir, f);
  const srv = (f: string) => join(serverDir, f);
  openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj", `/CN=${caName}`, "-keyout", ca("ca.key"), "-out", ca("ca.pem"));
  openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", srv("server.key"), "-out", srv("server.csr"));
  writeFileSync(srv("ext.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  openssl("x509", "-req", "-in", srv("server.csr"), "-CA", ca("ca.pem"), "-CAkey", ca("ca.key"), "-CAcreateserial", "-days", "2", "-extfile", srv("ext.cnf"), "-out", srv("server.crt"));
  return { caFile: ca("ca.pem"), certFile: srv("server.crt"), keyFile: srv("server.key") };
}
