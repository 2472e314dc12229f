/**
 * Builds the configured archive target (SPEC §7). The SDK of an object store is imported only when
 * that target is configured, so operator commands and filesystem runs never load it.
 */
import type { Config } from '../config/types.js';
import { FilesystemTarget } from './filesystem-target.js';
import type { ArchiveTarget } from './target.js';

export function openArchiveTarget(config: Config): Promise<ArchiveTarget> {
  const archive = config.archive;
  switch (archive.type) {
    case 'filesystem':
      return Promise.resolve(
        new FilesystemTarget(archive.dir, {
          minFreeBytes: config.minFreeDiskMb * 1024 * 1024,
          skip: [config.stateDir],
        }),
      );
    case 's3':
      return import('./s3-target.js').then(({ S3Target }) => S3Target.open(config, archive));
    case 'azure':
      return import('./azure-target.js').then(({ AzureTarget }) => AzureTarget.open(config, archive));
  }
}
