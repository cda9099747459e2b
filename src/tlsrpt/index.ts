// Pure RFC 8460 (SMTP TLS Reporting) logic: the DNS record grammar now, report parsing later.
export * from './record';
