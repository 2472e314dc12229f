import { readFileSync } from 'node:fs';

/** The package version, read from package.json next to dist/ so it can never drift from the release. */
export const TOOL_VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
