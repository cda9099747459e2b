// The deadline of the plugin's own queries (src/store/bounded.ts), for the standalone server's
// tables outside the plugin's stores (accounts, the login limit): server/ reaches store/ only
// through service/ (docs/architecture.md).
export { BoundedDb } from '../store/bounded';
