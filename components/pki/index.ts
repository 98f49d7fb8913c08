export { Pki, PkiArgs, CA_CERT_FILE_NAME } from "./pki";
