/**
 * The last resort (SPEC §4.6: no error ever escapes as an unhandled rejection). An error no code
 * handled is a bug: it is printed, a running pipeline is told so it stops with its state saved,
 * and the process ends with exit 70 (`ExitCode.internal`) instead of Node's crash with exit 1.
 */
import { ExitCode } from '../errors.js';

type Listener = (error: unknown) => void;

const listeners = new Set<Listener>();
let escaped: { error: unknown } | undefined;
let installed = false;

/** Calls `listener` with any error that escapes from now on; returns the function that stops it. */
export function onEscapedError(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The first error that escaped in this process, if one did. */
export function escapedError(): { error: unknown } | undefined {
  return escaped;
}

/** The exit code once `code` is decided: an escaped error turns success or "partial" into 70. */
export function withEscaped(code: number): number {
  return escaped !== undefined && (code === ExitCode.ok || code === ExitCode.partial)
    ? ExitCode.internal
    : code;
}

/**
 * Installs the process-wide handlers (once). `report` prints the error. A rejection nobody handled
 * stops a running pipeline (through `onEscapedError`) and makes the exit code 70; an uncaught
 * exception leaves the process in an unknown state, so it ends at once with 70 (the cursor stays
 * where it was last saved, the lock is found stale by the next run).
 */
export function installLastResort(report: (error: unknown) => void): void {
  if (installed) return;
  installed = true;
  process.on('unhandledRejection', (error: unknown) => {
    escaped ??= { error };
    process.exitCode = ExitCode.internal;
    // A running pipeline stops with it as its failure and reports it; otherwise it is printed here.
    if (listeners.size === 0) report(error);
    for (const listener of [...listeners]) listener(error);
  });
  process.on('uncaughtException', (error: unknown) => {
    escaped ??= { error };
    report(error);
    process.exit(ExitCode.internal);
  });
}
