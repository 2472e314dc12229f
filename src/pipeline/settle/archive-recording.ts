/**
 * Archives one recording (SPEC §3.4, §4.2): each media file streamed to a temporary file, hashed and
 * size-checked, made durable; then the CDR, written last, so a CDR's presence means its recording is
 * archived and verified; then the ledger line. A media URL is requested right before its download;
 * a refused or broken download gets a fresh URL at most 3 times per recording per run.
 */
import { hostname } from 'node:os';
import path from 'node:path';
import { buildArchivedCdrXml, type ArchivedCdr, type CdrMedia } from '../../archive/cdr.js';
import { cdrFileName, cdrKey, conversationKey, mediaFileName } from '../../archive/layout.js';
import {
  MediaRefusedError,
  MediaTransferError,
  type FormatId,
  type Recording,
  type RecordingMetadata,
} from '../../genesys/index.js';
import { StorageError } from '../../errors.js';
import { isoInZone, isoUtc, parseUtcIso } from '../../util/time.js';
import type { RunContext } from '../run-context.js';
import { cdrConversationPart, type CdrLookups, type ConversationFacts } from '../conversation-facts.js';
import { TOOL_VERSION } from '../../util/version.js';
import { mediaExtension } from './rules.js';
import { appendRecordingLine, item, ledgerLineFor } from './records.js';

export const MAX_URL_REFRESHES = 3;

/** One media file to fetch: where from, and what Genesys said about it. */
export interface MediaSource {
  /** The `mediaUris` key, or a result's position for batch downloads; undefined for a single file. */
  key: string | undefined;
  url: string;
  /** Known before the download for batch results (ORIGINAL), which decides the file name. */
  contentType?: string | undefined;
  expectedBytes?: number | undefined;
}

export interface ArchiveOutcome {
  kind: 'ingested';
  file: string;
  sizeBytes: number;
  sha256: string;
}

/** The media files of a transcoded recording (`mediaUris`), keyed only when there are several. */
export function sourcesOf(recording: Recording): MediaSource[] {
  const keys = Object.keys(recording.mediaUris ?? {}).sort();
  return keys.flatMap((key) => {
    const url = recording.mediaUris?.[key]?.mediaUri;
    if (url === undefined) return [];
    return [
      {
        key: keys.length > 1 ? key : undefined,
        url,
        expectedBytes: keys.length > 1 ? undefined : recording.outputSizeInBytes,
      },
    ];
  });
}

/** A recording the ledger holds: its `file` there, and its CDR when the archive still has a valid one. */
export interface LedgerHeld {
  file: string;
  cdr: ArchivedCdr | undefined;
}

/**
 * Asks the ledger by recording id (SPEC §3.4), whatever the `timezone` was when the recording was
 * archived: its CDR is found through the ledger's `file`, not through today's date folder.
 */
export async function ledgerHeld(
  ctx: RunContext,
  facts: ConversationFacts,
  recordingId: string,
): Promise<LedgerHeld | undefined> {
  const file = await ctx.archived.get(recordingId, facts.startMs);
  if (file === undefined) return undefined;
  const folder = path.posix.dirname(file);
  // The index is keyed by day; a recording of another conversation that day is not this one.
  if (path.posix.basename(folder) !== facts.conversationId) return undefined;
  return {
    file,
    cdr: await readArchivedCdr(ctx, `${folder}/${cdrFileName(recordingId)}`),
  };
}

async function readArchivedCdr(ctx: RunContext, key: string): Promise<ArchivedCdr | undefined> {
  let parsed;
  try {
    parsed = await ctx.archive.readCdr(key, ctx.signal);
  } catch (error) {
    // The store unreachable or refusing us stops the run; anything else is not a verified copy.
    if (error instanceof StorageError) throw error;
    return undefined;
  }
  // Absent, or not an archived CDR: either way not a verified copy.
  return parsed?.kind === 'archived' ? parsed.cdr : undefined;
}

/** The archived CDR of a recording under today's date folder, when the archive holds a valid one. */
export async function existingCdr(
  ctx: RunContext,
  facts: ConversationFacts,
  recordingId: string,
): Promise<ArchivedCdr | undefined> {
  const key = cdrKey(ctx.config.timezone, facts.startMs, facts.conversationId, recordingId);
  // Absent or not parseable: not a verified copy, so the recording is archived (again).
  return readArchivedCdr(ctx, key);
}

/**
 * A recording the ledger holds (asked by id, SPEC §3.4), or else the archive under today's date
 * folder (a run that stopped between the CDR and its ledger line): reported `alreadyArchived`.
 */
export async function alreadyHeld(
  ctx: RunContext,
  facts: ConversationFacts,
  recId: string,
  fromRetry: boolean,
): Promise<boolean> {
  const id = facts.conversationId;
  const held = await ledgerHeld(ctx, facts, recId);
  const cdr = held !== undefined ? held.cdr : await existingCdr(ctx, facts, recId);
  if (held === undefined && cdr === undefined) return false;
  // Found only in the archive: the ledger line a crash left out is appended now.
  if (held === undefined && cdr !== undefined) await ledgerLineFor(ctx, cdr);
  const primary = cdr?.media[0];
  ctx.report.count('alreadyArchived');
  ctx.report.item({
    ...item(
      id,
      recId,
      'alreadyArchived',
      held !== undefined && cdr === undefined ? 'in the ledger, but its CDR is missing from the archive' : '',
      fromRetry,
    ),
    file: held?.file ?? primary?.file ?? '',
    sizeBytes: primary?.sizeBytes ?? 0,
    sha256: primary?.sha256 ?? '',
  });
  return true;
}

/**
 * Downloads one media file into the archive target; throws item-level errors. The target checks
 * free space where it spools locally (SPEC §4.6) and confirms the object before `commit` resolves.
 */
async function fetchOne(
  ctx: RunContext,
  folderKey: string,
  recordingId: string,
  source: MediaSource,
  attempt: number,
): Promise<CdrMedia> {
  const expected =
    source.expectedBytes !== undefined && source.expectedBytes > 0 ? source.expectedBytes : undefined;
  const name = mediaFileName(recordingId, mediaExtension(ctx.config.codec, source.contentType), source.key);
  const target = await ctx.archive.openMedia(`${folderKey}/${name}`, {
    ...(expected !== undefined ? { expectedBytes: expected } : {}),
    signal: ctx.signal,
  });
  try {
    const result = await ctx.downloads.run(() =>
      ctx.client.downloadMedia(source.url, target, {
        ...(expected !== undefined ? { expectedBytes: expected } : {}),
        signal: ctx.signal,
        attempt,
      }),
    );
    const contentType = result.contentType ?? source.contentType ?? 'application/octet-stream';
    await target.commit({ bytes: result.bytes, sha256: result.sha256, contentType });
    const entry: CdrMedia = {
      codec: ctx.config.codec,
      contentType,
      file: name,
      sizeBytes: result.bytes,
      sha256: result.sha256,
    };
    if (source.key !== undefined) entry.key = source.key;
    return entry;
  } catch (error) {
    await target.abort();
    throw error;
  }
}

/**
 * Downloads and archives a recording of the conversation from `sources`. `refresh` asks Genesys
 * again for fresh media URLs. Throws item-level errors for the caller to put in the retry buffer.
 */
export async function archiveRecording(
  ctx: RunContext,
  facts: ConversationFacts,
  recording: RecordingMetadata & { outputDurationMs?: number | undefined },
  sources: MediaSource[],
  lookups: CdrLookups,
  refresh: () => Promise<MediaSource[] | undefined>,
): Promise<ArchiveOutcome> {
  const folder = conversationKey(ctx.config.timezone, facts.startMs, facts.conversationId);
  const recordingId = recording.id.toLowerCase();
  if (sources.length === 0)
    throw new MediaTransferError(
      'media.noUri',
      'Genesys listed the recording as available but gave no media URL',
    );
  // Journaled before its first file (media or CDR) is written: the next run sweeps its leftovers.
  const cdrFile = `${folder}/${cdrFileName(recordingId)}`; // checks the id before it is journaled
  await ctx.inflight.note(folder, recordingId);
  const media: CdrMedia[] = [];
  let current = sources;
  let refreshes = 0;
  for (let i = 0; i < current.length;) {
    try {
      media.push(await fetchOne(ctx, folder, recordingId, current[i]!, refreshes + 1));
      i += 1;
    } catch (error) {
      const retryable = error instanceof MediaRefusedError || error instanceof MediaTransferError;
      if (!retryable || refreshes >= MAX_URL_REFRESHES) {
        if (error instanceof MediaRefusedError)
          throw new MediaTransferError(
            'mediaRefused',
            `the media host kept refusing fresh URLs (${refreshes + 1} tries)`,
          );
        throw error;
      }
      refreshes += 1;
      const fresh = await refresh();
      if (fresh === undefined || fresh.length !== current.length) throw error;
      current = fresh;
    }
  }

  const cdr: ArchivedCdr = {
    conversationId: facts.conversationId,
    recordingId,
    conversationStart: isoUtc(facts.startMs),
    conversationEnd: isoUtc(facts.endMs ?? facts.startMs),
    localStart: { value: isoInZone(facts.startMs, ctx.config.timezone), timezone: ctx.config.timezone },
    durationMs: Math.max(0, (facts.endMs ?? facts.startMs) - facts.startMs),
    ...cdrConversationPart(facts, lookups),
    recording: recordingPart(recording),
    media,
    importSource: {
      name: ctx.config.name,
      policyId: ctx.config.policyId,
      importSourceId: ctx.config.importSourceId,
      toolVersion: TOOL_VERSION,
      ...hostPart(),
    },
    ingestedAt: isoUtc(ctx.now()),
  };
  const xml = buildArchivedCdrXml(cdr);
  await ctx.archive.putCdr(cdrFile, xml, ctx.signal);
  const relative = await appendRecordingLine(ctx, cdr, xml);
  const primary = media[0]!;
  return {
    kind: 'ingested',
    file: relative,
    sizeBytes: media.reduce((n, m) => n + m.sizeBytes, 0),
    sha256: primary.sha256,
  };
}

/** The machine's host name for `importSource host` (omitted when the system gives none). */
function hostPart(): { host?: string } {
  const host = hostname().trim();
  return host === '' ? {} : { host };
}

function recordingPart(
  recording: RecordingMetadata & { outputDurationMs?: number | undefined },
): ArchivedCdr['recording'] {
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
