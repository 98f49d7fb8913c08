// Emergency access: prints the unseal keys held in a secret-store custody file, for an operator who must unseal
// the store or generate a root token by hand (see README, "Emergency root access").
//   EDGE_CUSTODY_SECRET=... custody <custody-file>
import { CustodyError, readCustody } from "../components/secret-store/custody";

function main(): void {
  const file = process.argv[2];
  const secret = process.env.EDGE_CUSTODY_SECRET;
  if (!file || !secret) {
    process.stderr.write("usage: EDGE_CUSTODY_SECRET=<the stack's secretStoreCustodySecret> npm run custody -- <custody file>\n");
    process.exit(2);
  }
  const record = readCustody(file, secret);
  if (!record) throw new CustodyError(`${file} does not exist`);
  process.stderr.write(`custody: ${file}: store initialized ${record.initializedAt} at ${record.address}, threshold ${record.threshold} of ${record.shares}. These keys open the store: do not paste them anywhere else.\n`);
  process.stdout.write(`${JSON.stringify({ threshold: record.threshold, keys: record.keys }, null, 2)}\n`);
}

try {
  main();
} catch (err) {
  process.stderr.write(`custody: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
