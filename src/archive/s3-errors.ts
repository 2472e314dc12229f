/**
 * What an S3 failure means for the run (SPEC §7 Failures): the store unreachable, refusing the
 * credentials, or refusing writes past the SDK's retries stops the run (StorageError, exit 6); any
 * other failure concerns one object (ArchiveObjectError: that recording goes to the retry buffer).
 * Messages carry the error's name and status, never a signature, key or token.
 */
import { ArchiveObjectError, StorageError } from '../errors.js';
import { SOCKET_ERROR_CODES } from './object-store.js';

interface SdkError {
  /** Set on the errors `s3Failure` returns: the SDK error's name and HTTP status. */
  storeName?: string;
  storeStatus?: number;
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $fault?: string;
}

const REFUSED = new Set([
  'AccessDenied',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'InvalidToken',
  'TokenRefreshRequired',
  'AllAccessDisabled',
  'AccountProblem',
  'AuthorizationHeaderMalformed',
  'CredentialsProviderError',
  'NoSuchBucket',
  'PermanentRedirect',
]);

const NETWORK = new Set([...SOCKET_ERROR_CODES, 'TimeoutError', 'RequestTimeout']);

/** True for "the object (or key) does not exist". */
export function isNotFound(error: unknown): boolean {
  const e = (error ?? {}) as SdkError;
  const name = e.storeName ?? e.name;
  return (
    name === 'NotFound' || name === 'NoSuchKey' || (e.storeStatus ?? e.$metadata?.httpStatusCode) === 404
  );
}

/** True for "the store does not implement this call" (some S3-compatible stores). */
export function isNotImplemented(error: unknown): boolean {
  const e = (error ?? {}) as SdkError;
  return (
    (e.storeName ?? e.name) === 'NotImplemented' || (e.storeStatus ?? e.$metadata?.httpStatusCode) === 501
  );
}

/** A short description without anything that could be a credential. */
function describe(e: SdkError): string {
  const status = e.$metadata?.httpStatusCode;
  const name = e.name ?? e.code ?? 'Error';
  const text = (e.message ?? '')
    .replace(/(Signature|Credential|X-Amz-[A-Za-z-]+|AWSAccessKeyId|Authorization)[=:]\s*[^\s&,]+/gi, '$1=…')
    .replace(/\s+/g, ' ')
    .slice(0, 160);
  return `${name}${status === undefined ? '' : ` (HTTP ${status})`}${text === '' || text === name ? '' : `: ${text}`}`;
}

/** Classifies an SDK error met while doing `what` at `where` (s3://bucket/key). */
export function s3Failure(error: unknown, what: string, where: string): Error {
  if (error instanceof StorageError || error instanceof ArchiveObjectError) return error;
  const e = (error ?? {}) as SdkError;
  return Object.assign(classify(error, what, where), {
    storeName: e.name,
    storeStatus: e.$metadata?.httpStatusCode,
  });
}

function classify(error: unknown, what: string, where: string): Error {
  const e = (error ?? {}) as SdkError;
  const status = e.$metadata?.httpStatusCode;
  const causeCode = (error as { cause?: { code?: string } } | undefined)?.cause?.code;
  const detail = describe(e);
  if (REFUSED.has(e.name ?? '') || status === 401 || status === 403 || e.name === 'CredentialsProviderError')
    return new StorageError('store.refused', `the store refused ${what} at ${where}: ${detail}`, {
      hint: 'check the credentials in the environment (AWS_PROFILE, web identity, instance role) and the bucket policy',
    });
  if (
    NETWORK.has(e.code ?? '') ||
    NETWORK.has(e.name ?? '') ||
    NETWORK.has(causeCode ?? '') ||
    (status !== undefined && status >= 500) ||
    status === 429 ||
    (e.$fault === 'server' && status === undefined)
  )
    return new StorageError(
      'store.unreachable',
      `the store could not be reached for ${what} at ${where}: ${detail}`,
    );
  return new ArchiveObjectError('store.object', `the store failed ${what} at ${where}: ${detail}`);
}
