/**
 * The Azure Blob container client (SPEC §7 Azure Blob, Transport). Credentials come from the
 * environment only, in this order: `AZURE_STORAGE_CONNECTION_STRING`, else a SAS token in
 * `AZURE_STORAGE_SAS_TOKEN` appended to the configured `url`, else the default Azure credential
 * chain (`@azure/identity` `DefaultAzureCredential`: environment service principal, workload
 * identity, managed identity, Azure CLI…), imported only then. Every credential value is registered
 * as a secret, so `redact()` removes it from any text.
 *
 * Transport: the SDK's pipeline is given our own agent (`store-transport.ts`: hpagent through
 * `proxy` unless `useProxy: false`, `tls.trustList` added to the system roots). A custom agent
 * takes precedence over the SDK's proxy policy, which would otherwise ignore TLS settings and read
 * HTTPS_PROXY from the environment. The credential chain's token requests take `proxyOptions`.
 */
import type { ContainerClient, StoragePipelineOptions } from '@azure/storage-blob';
import type { Agent } from 'node:http';
import type { AzureArchiveConfig, Config } from '../config/types.js';
import { ConfigError } from '../errors.js';
import { registerSecret } from '../util/redact.js';
import { storeAgents, type StoreAgents } from './store-transport.js';

export type AzureCredentialKind = 'connectionString' | 'sasToken' | 'defaultChain';

export interface AzureContainer {
  readonly container: ContainerClient;
  readonly credential: AzureCredentialKind;
  readonly agents: StoreAgents;
}

/**
 * The SDK retries each request itself (exponential, 1 s doubling): a store that still fails after
 * that is unreachable for this run (exit 6), and the next run resumes from the cursor.
 */
const RETRY = { maxTries: 4, retryDelayInMs: 1000, maxRetryDelayInMs: 8000, tryTimeoutInMs: 300_000 };

/** `scheme://host[:port]/path` of a URL, lower-case host, no query, no trailing `/`. */
function endpointOf(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host.toLowerCase()}${u.pathname.replace(/\/+$/, '')}`;
}

/** Registers every credential-bearing part of a connection string. */
function registerConnectionString(value: string): void {
  registerSecret(value);
  for (const part of value.split(';')) {
    const eq = part.indexOf('=');
    const name = part.slice(0, eq).trim().toLowerCase();
    if (name === 'accountkey' || name === 'sharedaccesssignature') registerSasOrKey(part.slice(eq + 1));
  }
}

function registerSasOrKey(value: string): void {
  registerSecret(value);
  for (const [name, v] of new URLSearchParams(value)) if (name === 'sig' && v !== '') registerSecret(v);
  const sig = /(?:^|[?&])sig=([^&]+)/.exec(value)?.[1];
  if (sig !== undefined) registerSecret(sig);
}

export async function openAzureContainer(
  config: Config,
  archive: AzureArchiveConfig,
  env: NodeJS.ProcessEnv,
): Promise<AzureContainer> {
  const { AnonymousCredential, BlobServiceClient } = await import('@azure/storage-blob');
  const agents = storeAgents(config, archive.useProxy);
  const agent: Agent = archive.url.startsWith('https:') ? agents.httpsAgent : agents.httpAgent;
  // `agent` is a core pipeline option the storage SDK passes through (core-rest-pipeline PipelineOptions).
  const options: StoragePipelineOptions & { agent: Agent } = { agent, retryOptions: RETRY };
  const connectionString = env.AZURE_STORAGE_CONNECTION_STRING?.trim() || undefined;
  const sas = env.AZURE_STORAGE_SAS_TOKEN?.trim().replace(/^\?/, '') || undefined;
  try {
    if (connectionString !== undefined) {
      registerConnectionString(connectionString);
      let service;
      try {
        service = BlobServiceClient.fromConnectionString(connectionString, options);
      } catch {
        throw new ConfigError(
          `AZURE_STORAGE_CONNECTION_STRING cannot be used: it is not a storage account connection string (AccountName and AccountKey, or BlobEndpoint and SharedAccessSignature)`,
        );
      }
      const named = endpointOf(service.url);
      if (named !== endpointOf(archive.url))
        throw new ConfigError(
          `${config.file}: "archive.url" (${archive.url}) is not the blob endpoint AZURE_STORAGE_CONNECTION_STRING names (${named}): they must be the same account`,
        );
      return {
        container: service.getContainerClient(archive.container),
        credential: 'connectionString',
        agents,
      };
    }
    if (sas !== undefined) {
      registerSasOrKey(sas);
      const service = new BlobServiceClient(`${archive.url}?${sas}`, new AnonymousCredential(), options);
      return { container: service.getContainerClient(archive.container), credential: 'sasToken', agents };
    }
    if (!archive.url.startsWith('https:'))
      throw new ConfigError(
        `${config.file}: "archive.url" must use https for the Azure credential chain (its tokens are only sent over TLS); an emulator on this machine takes AZURE_STORAGE_CONNECTION_STRING or AZURE_STORAGE_SAS_TOKEN`,
      );
    const { DefaultAzureCredential } = await import('@azure/identity');
    const proxy = archive.useProxy ? config.proxy : undefined;
    const credential = new DefaultAzureCredential(
      proxy === undefined
        ? {}
        : {
            proxyOptions: {
              host: `http://${proxy.host.includes(':') ? `[${proxy.host}]` : proxy.host}`,
              port: proxy.port,
              ...(proxy.username !== undefined ? { username: proxy.username } : {}),
              ...(proxy.password !== undefined ? { password: proxy.password } : {}),
            },
          },
    );
    const service = new BlobServiceClient(archive.url, credential, options);
    return { container: service.getContainerClient(archive.container), credential: 'defaultChain', agents };
  } catch (error) {
    agents.destroy();
    throw error;
  }
}
