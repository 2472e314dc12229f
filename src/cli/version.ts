/** The package version (`--version`); read in one place, shared with the CDR's `importSource`. */
export { TOOL_VERSION as VERSION } from '../util/version.js';
