/**
 * Genesys ids are UUIDs. Every id that comes from the network or a file is checked here before it is
 * used as part of a path, so a hostile value ('../x', 'a/b', NUL) can never leave the archive root.
 */
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True when `value` is a Genesys id (a UUID in its canonical 8-4-4-4-12 form). */
export function isGenesysId(value: unknown): value is string {
  return typeof value === 'string' && uuidPattern.test(value);
}

/** The names that `policyId` and `importSourceId` may take (SPEC §2). */
export const sourceIdPattern = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * True when `value` can be one path component: no separator, not '.' or '..', no NUL, no control
 * characters, short enough for every file system we support.
 */
export function isSafePathPart(value: string): boolean {
  return (
    value.length > 0 &&
    value.length <= 200 &&
    value !== '.' &&
    value !== '..' &&
    !/[/\\\0:]/.test(value) &&
    // eslint-disable-next-line no-control-regex
    !/[\x00-\x1f\x7f]/.test(value)
  );
}
