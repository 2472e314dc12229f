/**
 * Archives one recording (SPEC §3.4, §4.2): each media file streamed to a temporary file, hashed and
 * size-checked, made durable; then the CDR, written last, so a CDR's presence means its recording is
 * archived and verified; then the ledger line. A media URL is requested right before its download;
 * a refused URL is replaced by a fresh one at most 3 times per recording per run.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { buildArchivedCdrXml, readCdrFile, type ArchivedCdr, type CdrMedia } from '../archive/cdr.js';
import { cdrFileName, conversationFolder, mediaFileName } from '../archive/layout.js';
import { StorageError } from '../errors.js';
import { MediaRefusedError, MediaTransferError, type Recording, type UserInfo } from '../genesys/index.js';
import type { FormatId } from '../genesys/index.js';
import { openAtomic, writeFileAtomic } from '../state/atomic.js';
import { isoInZone, isoUtc, parseUtcIso } from '../util/time.js';
import type { RunContext } from './context.js';
import { cdrConversationPart, type ConversationFacts } from './facts.js';
import { mediaExtension } from './rules.js';

export const MAX_URL_REFRESHES = 3;

export type ArchiveOutcome =
  | { kind: 'ingested'; file: string; sizeBytes: number; sha256: string }
  | { kind: 'alreadyArchived'; file: string; sizeBytes: number; sha256: string };

/** The CDR path of a recording, and whether it exists (the archive already holds it). */
export async function existingCdr(
  ctx: RunContext,
  facts: ConversationFacts,
  recordingId: string,
): Promise<ArchivedCdr | undefined> {
  const file = path.join(
    conversationFolder(ctx.config.archiveDir, ctx.config.timezone, facts.startMs, facts.conversationId),
    cdrFileName(recordingId),
  );
  try {
    const parsed = await readCdrFile(file);
    return parsed.kind === 'archived' ? parsed.cdr : undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    // A CDR that does not parse is not a verified copy: archive the recording again over it.
    return undefined;
  }
}

let freeSpaceCache: { at: number; freeBytes: number } | undefined;

/** No download starts while free space is below minFreeDiskMb plus its size (SPEC §4.6). */
async function checkFreeSpace(ctx: RunContext, expectedBytes: number): Promise<void> {
  const now = Date.now();
  if (freeSpaceCache === undefined || now - freeSpaceCache.at > 5000) {
    const stats = await fs.statfs(ctx.config.archiveDir);
    freeSpaceCache = { at: now, freeBytes: stats.bavail * stats.bsize };
  }
  const needed = ctx.config.minFreeDiskMb * 1024 * 1024 + expectedBytes;
  if (freeSpaceCache.freeBytes < needed) {
    throw new StorageError(
      'storage.lowSpace',
      `only ${Math.floor(freeSpaceCache.freeBytes / 1048576)} MB free in ${ctx.config.archiveDir}; minFreeDiskMb is ${ctx.config.minFreeDiskMb}: no download starts below that`,
    );
  }
  freeSpaceCache.freeBytes -= expectedBytes;
}

/**
 * Downloads and archives `recording` of the conversation. `refresh` asks Genesys for the recording
 * again (a fresh media URL). Throws item-level errors for the caller to put in the retry buffer.
 */
export async function archiveRecording(
  ctx: RunContext,
  facts: ConversationFacts,
  first: Recording,
  users: ReadonlyMap<string, UserInfo>,
  refresh: () => Promise<Recording | undefined>,
): Promise<ArchiveOutcome> {
  const folder = conversationFolder(
    ctx.config.archiveDir,
    ctx.config.timezone,
    facts.startMs,
    facts.conversationId,
  );
  const cdrPath = path.join(folder, cdrFileName(first.id));
  let recording = first;
  let refreshes = 0;
  const media: CdrMedia[] = [];
  const keys = Object.keys(recording.mediaUris ?? {}).sort();
  if (keys.length === 0)
    throw new MediaTransferError(
      'media.noUri',
      'Genesys listed the recording as available but gave no media URL',
    );
  const several = keys.length > 1;

  for (const key of keys) {
    for (;;) {
      const url = recording.mediaUris?.[key]?.mediaUri;
      if (url === undefined)
        throw new MediaTransferError('media.noUri', `Genesys gave no media URL for key ${key}`);
      const expected = several ? undefined : recording.outputSizeInBytes;
      await checkFreeSpace(ctx, expected ?? 0);
      const ext = mediaExtension(ctx.config.codec, undefined);
      const name = mediaFileName(recording.id, ext, several ? key : undefined);
      await ctx.inflight.note(ctx.config.archiveDir, folder);
      const target = await openAtomic(path.join(folder, name));
      try {
        const result = await ctx.client.downloadMedia(url, target, {
          ...(expected !== undefined && expected > 0 ? { expectedBytes: expected } : {}),
          signal: ctx.signal,
        });
        await target.commit();
        const entry: CdrMedia = {
          codec: ctx.config.codec,
          contentType: result.contentType ?? 'application/octet-stream',
          file: name,
          sizeBytes: result.bytes,
          sha256: result.sha256,
        };
        if (several) entry.key = key;
        media.push(entry);
        break;
      } catch (error) {
        await target.abort();
        const refusable = error instanceof MediaRefusedError || error instanceof MediaTransferError;
        if (!refusable || refreshes >= MAX_URL_REFRESHES) {
          if (error instanceof MediaRefusedError)
            throw new MediaTransferError(
              'mediaRefused',
              `the media host kept refusing fresh URLs (${refreshes + 1} tries)`,
            );
          throw error;
        }
        refreshes += 1;
        const fresh = await refresh();
        if (fresh === undefined) throw error;
        recording = fresh;
      }
    }
  }

  const cdr: ArchivedCdr = {
    conversationId: facts.conversationId,
    recordingId: recording.id.toLowerCase(),
    conversationStart: isoUtc(facts.startMs),
    conversationEnd: isoUtc(facts.endMs ?? facts.startMs),
    localStart: { value: isoInZone(facts.startMs, ctx.config.timezone), timezone: ctx.config.timezone },
    durationMs: Math.max(0, (facts.endMs ?? facts.startMs) - facts.startMs),
    ...cdrConversationPart(facts, users),
    recording: recordingPart(recording),
    media,
    importSource: {
      name: ctx.config.name,
      policyId: ctx.config.policyId,
      importSourceId: ctx.config.importSourceId,
    },
    ingestedAt: isoUtc(ctx.now()),
  };
  const xml = buildArchivedCdrXml(cdr);
  await writeFileAtomic(cdrPath, xml);
  const primary = media[0]!;
  const relative = path
    .relative(ctx.config.archiveDir, path.join(folder, primary.file))
    .split(path.sep)
    .join('/');
  await ctx.ledger.append([
    {
      type: 'recording',
      conversationId: facts.conversationId,
      recordingId: cdr.recordingId,
      conversationStart: cdr.conversationStart,
      file: relative,
      sha256: primary.sha256,
      cdrSha256: createHash('sha256').update(xml).digest('hex'),
    },
  ]);
  return {
    kind: 'ingested',
    file: relative,
    sizeBytes: media.reduce((n, m) => n + m.sizeBytes, 0),
    sha256: primary.sha256,
  };
}

function recordingPart(recording: Recording): ArchivedCdr['recording'] {
  const part: ArchivedCdr['recording'] = {};
  if (recording.mediaSubtype !== undefined) part.mediaSubtype = recording.mediaSubtype;
  if (recording.sessionId !== undefined) part.sessionId = recording.sessionId;
  // Genesys times are normalised to UTC with milliseconds; an unreadable one is left out, not guessed.
  const start = parseUtcIso(recording.startTime);
  const end = parseUtcIso(recording.endTime);
  if (start !== undefined) part.startTime = isoUtc(start);
  if (end !== undefined) part.endTime = isoUtc(end);
  if (recording.outputDurationMs !== undefined) part.outputDurationMs = recording.outputDurationMs;
  return part;
}

/** The configured codec as a `formatId` for the recordings call (`NONE` lists without media). */
export function formatIdFor(ctx: RunContext): FormatId {
  return ctx.dryRun || ctx.config.codec === 'ORIGINAL' ? 'NONE' : ctx.config.codec;
}
