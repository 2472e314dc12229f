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
  readonly archiveDir: string;
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
