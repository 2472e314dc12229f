/**
 * The one error hierarchy of the tool. `main()` alone turns these into exit codes (SPEC §1.1);
 * everything else throws. `code` is a stable machine-readable string, the message is for people and
 * never carries a secret.
 */
export const ExitCode = {
  ok: 0,
  partial: 1,
  usage: 2,
  locked: 3,
  remote: 4,
  verifyFailed: 5,
  storage: 6,
  /** An unexpected error (a bug): state saved, please report it. */
  internal: 70,
  interrupted: 130,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export interface IngestErrorOptions {
  cause?: unknown;
  retryable?: boolean;
  hint?: string;
}

/** Base of every expected failure: stable `code`, the exit code it maps to, retryability, cause. */
export class IngestError extends Error {
  readonly code: string;
  readonly exitCode: ExitCodeValue;
  readonly retryable: boolean;
  readonly hint: string | undefined;

  constructor(code: string, message: string, exitCode: ExitCodeValue, options: IngestErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.exitCode = exitCode;
    this.retryable = options.retryable ?? false;
    this.hint = options.hint;
  }
}

/** Bad flags, bad arguments, refused operator requests: nothing was changed (exit 2). */
export class UsageError extends IngestError {
  constructor(code: string, message: string, options?: IngestErrorOptions) {
    super(code, message, ExitCode.usage, options);
  }
}

/** The configuration file or environment is invalid (exit 2). The message names the key and the file. */
export class ConfigError extends IngestError {
  constructor(message: string, options?: IngestErrorOptions) {
    super('config.invalid', message, ExitCode.usage, options);
  }
}

/** A state file (cursor, retry entry, journal) cannot be read as it must be (exit 2). */
export class StateFileError extends IngestError {
  constructor(code: string, message: string, options?: IngestErrorOptions) {
    super(code, message, ExitCode.usage, options);
  }
}

/** Another process holds the lock of this import source, or took it from us (exit 3). */
export class LockedError extends IngestError {
  constructor(message: string, options?: IngestErrorOptions) {
    super('lock.held', message, ExitCode.locked, options);
  }
}

/** Genesys or the proxy could not be reached, or refused the credentials (exit 4). */
export class RemoteError extends IngestError {
  readonly status: number | undefined;
  constructor(code: string, message: string, options: IngestErrorOptions & { status?: number } = {}) {
    super(code, message, ExitCode.remote, options);
    this.status = options.status;
  }
}

/** `verify` found a failing check (exit 5). */
export class VerifyFailedError extends IngestError {
  constructor(message: string) {
    super('verify.failed', message, ExitCode.verifyFailed);
  }
}

/** The archive or state folder could not be written: disk full, read-only, permissions (exit 6). */
export class StorageError extends IngestError {
  constructor(code: string, message: string, options?: IngestErrorOptions) {
    super(code, message, ExitCode.storage, options);
  }
}

/**
 * The archive store failed for one object (SPEC §7): that recording goes to the retry buffer and the
 * run goes on (exit 1). The store unreachable or refusing credentials or writes is a StorageError.
 */
export class ArchiveObjectError extends IngestError {
  constructor(code: string, message: string, options?: IngestErrorOptions) {
    super(code, message, ExitCode.partial, { retryable: true, ...options });
  }
}

/** SIGINT or SIGTERM asked the run to stop (exit 130). */
export class InterruptedError extends IngestError {
  constructor(signal: string) {
    super('interrupted', `interrupted by ${signal}; state saved`, ExitCode.interrupted);
  }
}

const storageCodes = new Set(['ENOSPC', 'EACCES', 'EPERM', 'EROFS', 'EIO', 'EDQUOT', 'ENOTDIR', 'EISDIR']);

/** Wraps a Node file-system error into a StorageError (exit 6) when it means the disk cannot be written. */
export function asStorageError(error: unknown, what: string): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code !== undefined && storageCodes.has(code)) {
    return new StorageError(`storage.${code.toLowerCase()}`, `${what}: ${code} (${describeErrno(code)})`, {
      cause: error,
    });
  }
  return error;
}

/**
 * The exit code an error means: its own for a typed error, 6 for a file-system error that means the
 * disk cannot be written, 70 (a bug) for anything else. The one rule, for the report, status.json
 * and the process alike.
 */
export function exitCodeOf(error: unknown): ExitCodeValue {
  const wrapped = asStorageError(error, 'file system error');
  return wrapped instanceof IngestError ? wrapped.exitCode : ExitCode.internal;
}

function describeErrno(code: string): string {
  switch (code) {
    case 'ENOSPC':
      return 'no space left on the device';
    case 'EDQUOT':
      return 'disk quota exceeded';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'read-only file system';
    case 'EIO':
      return 'input/output error';
    default:
      return 'cannot write here';
  }
}
