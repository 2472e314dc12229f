/** The normalised, validated configuration (SPEC §2). Built once by `loadConfig`, then frozen. */
export const CODECS = ['WAV', 'WEBM', 'WAV_ULAW', 'OGG_VORBIS', 'OGG_OPUS', 'MP3', 'ORIGINAL'] as const;
export type Codec = (typeof CODECS)[number];

export interface TlsConfig {
  readonly certFile?: string;
  readonly keyFile?: string;
  readonly keyPassword?: string;
  readonly thumbprint?: string;
  readonly trustList?: string;
}

export interface ProxyConfig {
  readonly host: string;
  readonly port: number;
  readonly username?: string;
  readonly password?: string;
}

/** `archive` (SPEC §7): where recordings and CDRs are written. */
export type ArchiveConfig = FilesystemArchiveConfig | S3ArchiveConfig | AzureArchiveConfig;

export interface FilesystemArchiveConfig {
  readonly type: 'filesystem';
  /** Absolute path of the archive folder. */
  readonly dir: string;
}

export interface S3ArchiveConfig {
  readonly type: 's3';
  readonly bucket: string;
  /** Empty, or ending in `/`. */
  readonly prefix: string;
  readonly region: string;
  readonly endpoint?: string;
  readonly forcePathStyle: boolean;
  readonly storageClass?: string;
  readonly serverSideEncryption?: 'AES256' | 'aws:kms' | 'aws:kms:dsse';
  readonly kmsKeyId?: string;
  readonly objectLock?: { readonly mode: 'GOVERNANCE' | 'COMPLIANCE'; readonly retainDays: number };
  /** Reach the store through `proxy` (when one is configured). */
  readonly useProxy: boolean;
}

export interface AzureArchiveConfig {
  readonly type: 'azure';
  /** The account's blob endpoint, e.g. `https://account.blob.core.windows.net`. */
  readonly url: string;
  readonly container: string;
  /** Empty, or ending in `/`. */
  readonly prefix: string;
  readonly accessTier?: 'Hot' | 'Cool' | 'Cold';
  readonly useProxy: boolean;
}

export interface Config {
  /** Absolute path of the file this was read from. */
  readonly file: string;
  readonly name: string;
  readonly policyId: string;
  readonly importSourceId: string;
  readonly clientId: string;
  /** Undefined only for commands that never log in (operator commands, `verify --offline`). */
  readonly clientSecret: string | undefined;
  readonly authUrl: string;
  readonly apiUrl: string;
  readonly tls: TlsConfig;
  readonly proxy: ProxyConfig | undefined;
  readonly codec: Codec;
  readonly timezone: string;
  /** Epoch milliseconds. */
  readonly recordingStartTimestamp: number;
  readonly maxRecordingLengthMinutes: number;
  readonly availabilityDelayMinutes: number;
  readonly userCacheLifetimeMinutes: number;
  readonly deleteAfterIngest: boolean;
  readonly deleteGraceHours: number;
  readonly stateDir: string;
  /** The archive target (SPEC §7); `archiveDir` in the file is the shorthand for a filesystem one. */
  readonly archive: ArchiveConfig;
  /** The archive folder when the target is `filesystem` (its `dir`), else undefined. */
  readonly archiveDir: string | undefined;
  readonly retryBatchSize: number;
  readonly retryMaxAgeDays: number;
  readonly maxRunMinutes: number;
  readonly concurrency: number;
  readonly minFreeDiskMb: number;
  readonly maxLagMinutes: number;
  readonly reconcileAfterHours: number;
  readonly healthcheckUrl: string | undefined;
  /** Request the restore of recordings archived in Genesys instead of only alerting (SPEC §8.3). */
  readonly restoreArchived: boolean;
  /** Days Genesys keeps a restored recording available; also how long before a restore is asked again. */
  readonly restoreDays: number;
  /** Absolute path of the Prometheus text file rewritten at the end of every run (SPEC §8.4). */
  readonly metricsFile: string | undefined;
}

/** The smallest `availabilityDelayMinutes` (SPEC §2): analytics is not instant. */
export const MIN_AVAILABILITY_DELAY_MINUTES = 2;

/** Values given on the command line; they win over environment and file (SPEC §2). */
export interface ConfigOverrides {
  maxRunMinutes?: number;
  availabilityDelayMinutes?: number;
  maxRecordingLengthMinutes?: number;
}

/** `<policyId>_<importSourceId>`: names this import source's state folders. */
export function sourceKey(config: Pick<Config, 'policyId' | 'importSourceId'>): string {
  return `${config.policyId}_${config.importSourceId}`;
}
