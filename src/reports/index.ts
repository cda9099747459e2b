// Pure RFC 8460 (SMTP TLS Reporting) logic: the DNS record grammar, report parsing and summaries.
export * from './record';
export * from './report';
export * from './summary';
export * from './bounds';
export * from './rua';
export * from './token';
export * from './mime';
export * from './trust';
