/** Which failures stop a run and which concern one item (SPEC §4.6), and how a failure is written down. */
import { UnsafeIdError } from '../archive/layout.js';
import { ArchiveObjectError, InterruptedError, LockedError, RemoteError, StorageError } from '../errors.js';
import { GenesysApiError, MediaRefusedError, MediaTransferError } from '../genesys/index.js';

/**
 * True for failures that concern one recording or conversation: it goes to the retry buffer and the
 * run goes on. Everything else (network, TLS, proxy, credentials, permissions, disk, lock, signal)
 * stops the run.
 */
export function isItemFailure(error: unknown): boolean {
  if (
    error instanceof GenesysApiError ||
    error instanceof MediaRefusedError ||
    error instanceof MediaTransferError ||
    error instanceof ArchiveObjectError
  )
    return true;
  if (
    error instanceof RemoteError ||
    error instanceof StorageError ||
    error instanceof LockedError ||
    error instanceof InterruptedError
  )
    return false;
  // An id from Genesys that cannot become a file name: that item is refused, the run goes on.
  return error instanceof UnsafeIdError;
}

/** A short, single-line reason for a report item or retry entry (no URL queries, no secrets). */
export function reasonOf(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  const text = `${typeof code === 'string' ? `${code}: ` : ''}${message}`;
  return text
    .replace(/\?[^\s"']*/g, '?…')
    .replace(/\s+/g, ' ')
    .slice(0, 300);
}
