/**
 * What an Azure Blob failure means for the run (SPEC §7 Failures): the store unreachable, refusing
 * the credentials (403 AuthenticationFailed and friends), the container gone, or refusing writes
 * past the SDK's retries (5xx, 429) stops the run (StorageError, exit 6); any other failure concerns
 * one object (ArchiveObjectError: that recording goes to the retry buffer).
 *
 * The SDK's RestError carries the request (its URL holds a SAS token when one is used) and the
 * response: it is never kept as a `cause`. Messages carry the error code, the HTTP status and the
 * first line of the SDK's text with any URL query, `sig=` or key removed, then `redact()`ed.
 */
import { ArchiveObjectError, StorageError } from '../errors.js';
import { redact } from '../util/redact.js';
import { SOCKET_ERROR_CODES } from './object-store.js';

interface SdkError {
  name?: string;
  code?: string;
  statusCode?: number;
  message?: string;
  details?: { errorCode?: string };
}

/** The service refused who we are or what we may do: nothing will work until an operator acts. */
const REFUSED = new Set([
  'AuthenticationFailed',
  'AuthorizationFailure',
  'AuthorizationPermissionMismatch',
  'AuthorizationProtocolMismatch',
  'AuthorizationResourceTypeMismatch',
  'AuthorizationServiceMismatch',
  'AuthorizationSourceIPMismatch',
  'InsufficientAccountPermissions',
  'AccountIsDisabled',
  'InvalidAuthenticationInfo',
  'NoAuthenticationInformation',
  'ContainerNotFound',
  'ContainerBeingDeleted',
  'ContainerDisabled',
]);

/** Errors of the credential chain (`@azure/identity`): no token, no store. */
const CREDENTIAL_ERRORS = new Set([
  'CredentialUnavailableError',
  'AuthenticationError',
  'AggregateAuthenticationError',
]);

const NETWORK = new Set([
  ...SOCKET_ERROR_CODES,
  'ESOCKETTIMEDOUT',
  'REQUEST_SEND_ERROR',
  'ServerBusy',
  'OperationTimedOut',
  'InternalError',
]);

/** The service's error code (`x-ms-error-code`), else the transport's. */
function codeOf(e: SdkError): string | undefined {
  return e.details?.errorCode ?? e.code;
}

/** True for "the blob (or what it lives in) does not exist". */
export function isNotFound(error: unknown): boolean {
  const e = (error ?? {}) as SdkError;
  return e.statusCode === 404 || codeOf(e) === 'BlobNotFound';
}

/** A short description without anything that could be a credential. */
export function describeAzureError(error: unknown): string {
  const e = (error ?? {}) as SdkError;
  const code = codeOf(e) ?? e.name ?? 'Error';
  const status = e.statusCode;
  const text = redact(
    (e.message ?? '')
      .split('\n')[0]!
      .replace(/https?:\/\/\S+/g, (url) => url.replace(/[?#].*$/, ''))
      .replace(/\b(sig|se|sp|sv|st|skoid|sktid|AccountKey|SharedAccessSignature)=[^\s&;,]*/gi, '$1=…')
      .replace(/\b(Bearer|SharedKey)\s+[\w.~+/:=-]{16,}/gi, '$1 …')
      .replace(/\b(Authorization)\s*[:=]\s*\S+/gi, '$1: …')
      .replace(/\s+/g, ' ')
      .slice(0, 160),
  );
  return `${code}${status === undefined ? '' : ` (HTTP ${status})`}${text === '' || text === code ? '' : `: ${text}`}`;
}

/**
 * Classifies an SDK error met while doing `what` at `where` (the blob's URL, no query). An aborted
 * `signal` wins: the run is stopping, and its reason is what the caller must see.
 */
export function azureFailure(error: unknown, what: string, where: string, signal?: AbortSignal): unknown {
  if (signal?.aborted === true) return signal.reason;
  if (error instanceof StorageError || error instanceof ArchiveObjectError) return error;
  const e = (error ?? {}) as SdkError;
  const code = codeOf(e) ?? '';
  const status = e.statusCode;
  const detail = describeAzureError(error);
  if (CREDENTIAL_ERRORS.has(e.name ?? ''))
    return new StorageError('store.refused', `no Azure credential for ${what} at ${where}: ${detail}`, {
      hint: 'set AZURE_STORAGE_CONNECTION_STRING or AZURE_STORAGE_SAS_TOKEN, or give this machine an identity (managed identity, workload identity, az login) with the Storage Blob Data Contributor role on the container',
    });
  if (REFUSED.has(code) || status === 401 || (status === 403 && code !== 'BlobImmutableDueToPolicy'))
    return new StorageError('store.refused', `the store refused ${what} at ${where}: ${detail}`, {
      hint: 'check the credential in the environment (AZURE_STORAGE_CONNECTION_STRING, AZURE_STORAGE_SAS_TOKEN or the identity), its role on the container (Storage Blob Data Contributor) and that the container exists',
    });
  if (NETWORK.has(code) || (status !== undefined && status >= 500) || status === 429 || status === 408)
    return new StorageError(
      'store.unreachable',
      `the store could not be reached for ${what} at ${where}: ${detail}`,
    );
  return new ArchiveObjectError('store.object', `the store failed ${what} at ${where}: ${detail}`);
}

/** The SDK's `abortSignal` option, absent when there is no signal (exactOptionalPropertyTypes). */
export function abortable(signal: AbortSignal | undefined): { abortSignal?: AbortSignal } {
  return signal === undefined ? {} : { abortSignal: signal };
}
