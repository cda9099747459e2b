// The built-in ACME client (issue 11): certificates for mta-sts.<domain> in the standalone server.
// The server calls createCertificateManager and wires sniCallback and challengeMiddleware.
export { createCertificateManager, type CertificateManager } from './manager';
