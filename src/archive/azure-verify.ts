/**
 * `verify`'s online checks of an Azure Blob target (SPEC §7): the container exists and can be
 * listed (with which credential, through which proxy), and a write probe — an empty blob under
 * `<prefix>.genesys-ingest-verify/`, removed again. A container with an immutability policy would
 * keep the probe until the policy allows its deletion: the check says so instead of passing.
 */
import { randomUUID } from 'node:crypto';
import { abortable } from './azure-errors.js';
import type { AzureTarget } from './azure-target.js';
import type { TargetCheck } from './target.js';

const fail = (name: string, detail: string, hint?: string): TargetCheck =>
  hint === undefined ? { name, ok: false, detail } : { name, ok: false, detail, hint };
const pass = (name: string, detail: string): TargetCheck => ({ name, ok: true, detail });

function why(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const CREDENTIAL: Record<AzureTarget['credential'], string> = {
  connectionString: 'AZURE_STORAGE_CONNECTION_STRING',
  sasToken: 'the SAS token in AZURE_STORAGE_SAS_TOKEN',
  defaultChain: 'the default Azure credential chain',
};

export async function azureChecks(target: AzureTarget, signal?: AbortSignal): Promise<TargetCheck[]> {
  const { settings } = target;
  const via = target.agents.proxy === undefined ? '' : ` through the proxy ${target.agents.proxy}`;
  const checks: TargetCheck[] = [];
  try {
    await target.prepare(signal);
    for await (const entry of target.listFolder('', signal)) {
      void entry;
      break;
    }
    checks.push(
      pass(
        'archive store',
        `${target.where} exists and can be listed with ${CREDENTIAL[target.credential]}${via}`,
      ),
    );
  } catch (error) {
    checks.push(
      fail(
        'archive store',
        why(error),
        'check archive.url and archive.container, the credential in the environment and its role on the container (Storage Blob Data Contributor)',
      ),
    );
    return checks;
  }
  const probeKey = `${settings.prefix}${'.genesys-ingest-verify'}/${randomUUID()}`;
  const probe = target.container.getBlockBlobClient(probeKey);
  try {
    await probe.upload(Buffer.alloc(0), 0, abortable(signal));
  } catch (error) {
    checks.push(
      fail(
        'archive write',
        `cannot write ${probeKey}: ${why(target.failure(error, 'the write probe', '', signal))}`,
        'the credential needs write access to blobs (Storage Blob Data Contributor, or a SAS with create and write)',
      ),
    );
    return checks;
  }
  try {
    await probe.delete(abortable(signal));
    checks.push(
      pass(
        'archive write',
        `a blob was written under ${settings.prefix}.genesys-ingest-verify/ and removed again`,
      ),
    );
  } catch (error) {
    checks.push(
      fail(
        'archive write',
        `wrote ${probeKey} but cannot remove it: ${why(target.failure(error, 'removing the write probe', '', signal))}`,
        'the credential needs delete access (Storage Blob Data Contributor, or a SAS with delete); remove the probe blob, or it stays until an immutability policy allows',
      ),
    );
  }
  return checks;
}
