// `mta-sts serve --acme`: the built-in ACME client (src/acme) wired into the standalone server.
// HTTP (the main port, 80 in production) answers the policy file and the CA's HTTP-01 challenges
// and sends everything else to HTTPS; HTTPS (443) picks each name's certificate by SNI, TLS 1.2+
// only, and serves the whole panel.
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import express from 'express';
import type { Knex } from 'knex';
import { createCertificateManager, type CertificateManager } from '../acme';
import type { AcmeSettings, ServerSettings } from '../config/server-settings';
import type { Logger } from '../logger';
import { resolveOptions } from '../options';
import { storageOptions } from '../options/storage';
import { MtaStsService } from '../service';
import type { Panel } from './app';

export interface AcmeParts {
  certs: CertificateManager;
  /** What the main (plain HTTP) port serves instead of the panel. */
  httpApp: express.Express;
  https: HttpsServer;
}

export function createAcmeParts(settings: ServerSettings & { acme: AcmeSettings }, knex: Knex, panel: Panel, logger: Logger): AcmeParts {
  // Its own service over the same tables: the manager needs the names served and their history,
  // and reads them on its own schedule, apart from the panel's request path.
  const service = MtaStsService.fromOptions(
    resolveOptions({
      ...storageOptions(knex, settings.schema),
      mailHostname: settings.mailHostname,
      ...(settings.dnsServers ? { dns: { servers: settings.dnsServers } } : {}),
      logger,
    }),
  );
  const certs = createCertificateManager({
    service,
    knex,
    directoryUrl: settings.acme.directoryUrl,
    email: settings.acme.email,
    termsAccepted: true,
    encryptionKey: settings.acme.encryptionKey,
    addresses: settings.acme.addresses,
    ...(settings.acme.directoryCa === undefined ? {} : { directoryCa: settings.acme.directoryCa }),
    logger,
  });
  const httpsPort = settings.acme.httpsPort;
  const httpApp = express();
  httpApp.disable('x-powered-by');
  // Senders fetch the policy over HTTPS only, but answering it here too costs nothing and helps checks.
  httpApp.use(panel.mtaSts.wellKnown);
  httpApp.use((req, res, next) => certs.challengeMiddleware(req, res, next));
  // The admin pages carry logins and forms: over HTTPS only. The host the visitor named, on the HTTPS port.
  httpApp.use((req, res) => {
    const host = (req.hostname || 'localhost').replace(/[^A-Za-z0-9.-]/g, '');
    res.redirect(301, `https://${host}${httpsPort === 443 ? '' : `:${httpsPort}`}${req.originalUrl}`);
  });
  const https = createHttpsServer({ SNICallback: (name, callback) => certs.sniCallback(name, callback), minVersion: 'TLSv1.2' }, panel.app);
  return { certs, httpApp, https };
}
