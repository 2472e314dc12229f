/** What every command receives, and the shared steps: load config, take the lock. */
import { loadConfig, loadLockIdentity, readConfigObject, resolveConfigPath } from '../config/load.js';
import type { Config, ConfigOverrides } from '../config/types.js';
import { Lock } from '../state/lock.js';
import { statePaths, type StatePaths } from '../state/paths.js';
import type { Output } from './output.js';

export interface GlobalOptions {
  config?: string;
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
  debug?: boolean;
  color?: boolean;
}

export interface CommandContext {
  readonly output: Output;
  readonly configPath: string;
  readonly env: NodeJS.ProcessEnv;
  now(): number;
}

export function makeContext(
  output: Output,
  globals: GlobalOptions,
  env: NodeJS.ProcessEnv = process.env,
): CommandContext {
  return { output, configPath: resolveConfigPath(globals.config, env), env, now: () => Date.now() };
}

export interface Loaded {
  readonly config: Config;
  readonly paths: StatePaths;
}

/** Loads the whole configuration (commands that take no lock). */
export function loadForCommand(
  ctx: CommandContext,
  options: { requireSecret?: boolean; overrides?: ConfigOverrides; raw?: Record<string, unknown> } = {},
): Loaded {
  const config = loadConfig(ctx.configPath, {
    env: ctx.env,
    requireSecret: options.requireSecret ?? false,
    overrides: options.overrides ?? {},
    ...(options.raw === undefined ? {} : { raw: options.raw }),
  });
  return { config, paths: statePaths(config.stateDir, config.policyId, config.importSourceId) };
}

/**
 * Runs `fn` holding the lock (SPEC §3.1): before the lock only `stateDir`, `policyId` and
 * `importSourceId` are read; the rest of the configuration is validated once the lock is held.
 */
export async function withLock<T>(
  ctx: CommandContext,
  command: string,
  fn: (loaded: Loaded, lock: Lock) => Promise<T>,
  options: { requireSecret?: boolean; overrides?: ConfigOverrides } = {},
): Promise<T> {
  // The file is read once: the lock's three keys come from it now, the rest is validated under the lock.
  const raw = readConfigObject(ctx.configPath);
  const identity = loadLockIdentity(ctx.configPath, raw);
  const earlyPaths = statePaths(identity.stateDir, identity.policyId, identity.importSourceId);
  const lock = await Lock.acquire(earlyPaths.lockFile, { command, now: () => ctx.now() });
  try {
    const loaded = loadForCommand(ctx, { ...options, raw });
    return await fn(loaded, lock);
  } finally {
    await lock.release();
  }
}
