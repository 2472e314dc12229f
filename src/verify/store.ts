/** `verify`'s online checks of an archive store (SPEC §7), through the archive target's interface. */
import { openArchiveTarget } from '../archive/open-target.js';
import type { Config } from '../config/types.js';
import { fail, type Check } from './check.js';

/** Nothing for a filesystem target (its folder is checked offline). */
export async function storeChecks(config: Config): Promise<Check[]> {
  if (config.archive.type === 'filesystem') return [];
  let target;
  try {
    target = await openArchiveTarget(config);
  } catch (error) {
    return [fail('archive store', error instanceof Error ? error.message : String(error))];
  }
  try {
    return await target.onlineChecks();
  } finally {
    target.close();
  }
}
