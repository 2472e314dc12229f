/**
 * The decisions of `verify --reconcile` (SPEC §8.1) as pure functions: which one status a
 * conversation gets from the tool's own records, and how FROM and TO are read. No I/O, no clock.
 */
import { parseIsoInZone } from '../config/fields.js';
import { UsageError } from '../errors.js';
import { settleVerdict, type SettleLimits } from '../pipeline/settle/rules.js';
import { comparePositions, type Position } from '../state/position.js';
import type { LedgerConversationStatus } from '../state/ledger-lines.js';

export const RECONCILE_STATUSES = [
  'archived',
  'notRecorded',
  'gone',
  'refused',
  'retry',
  'dead',
  'removed',
  'pending',
  'missing',
] as const;
export type ReconcileStatus = (typeof RECONCILE_STATUSES)[number];

/** Where a retry entry of the conversation lies: the buffer, or one of its folders. */
export type RetryPlace = 'buffer' | 'dead' | 'removed' | 'rejected';

export interface StatusInput {
  /** Its position; `startMs` undefined for a refused conversation whose start cannot be read. */
  position: { startMs: number | undefined; conversationId: string };
  /** What Genesys says; undefined for a conversation refused as invalid data when listed. */
  genesys: { endMs: number | undefined; due: boolean } | undefined;
  /** The ledger's last word on it (settled index), with every recording any of its lines named. */
  settled: { status: LedgerConversationStatus; recordingIds: readonly string[] } | undefined;
  retry: ReadonlySet<RetryPlace>;
  /** Recordings the ledger holds whose media or CDR is not in the archive as recorded. */
  fileProblems: readonly string[];
  /** With `--deep`: audio recordings Genesys holds that the ledger lacks. */
  unledgered: readonly string[];
  cursor: Position;
  /** Listed by a run and still pending behind the frontier. */
  inFrontier: boolean;
  nowMs: number;
  limits: SettleLimits;
}

export interface StatusDecision {
  status: ReconcileStatus;
  detail: string;
}

const FINAL = new Set<LedgerConversationStatus>(['archived', 'notRecorded', 'gone', 'refused', 'removed']);
/** Settled statuses under which a recording Genesys holds must be in the ledger (`--deep`). */
const COMPLETE = new Set<LedgerConversationStatus>(['archived', 'notRecorded', 'gone']);

const settledDetail: Record<string, string> = {
  notRecorded: 'settled as not recorded',
  gone: 'deleted in Genesys before it could be archived',
  refused: 'refused as invalid data',
  removed: 'an operator removed its retry entry (retry remove)',
};

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** The one status of a conversation Genesys lists in the range (SPEC §8.1's table, in its order of precedence). */
export function decideStatus(input: StatusInput): StatusDecision {
  const { settled, retry } = input;
  // A file the ledger says is archived and the archive lacks is a loss, whatever else is recorded.
  if (input.fileProblems.length > 0)
    return { status: 'missing', detail: `the ledger says archived, but ${input.fileProblems.join('; ')}` };
  if (retry.has('buffer')) return { status: 'retry', detail: 'in the retry buffer' };
  if (retry.has('dead'))
    return { status: 'dead', detail: 'in dead/ of the retry buffer (failing for more than retryMaxAgeDays)' };
  if (settled !== undefined && FINAL.has(settled.status)) {
    if (input.unledgered.length > 0 && COMPLETE.has(settled.status))
      return {
        status: 'missing',
        detail: `Genesys holds ${plural(input.unledgered.length, 'recording')} the ledger lacks: ${input.unledgered.join(', ')}`,
      };
    if (settled.status === 'archived')
      return {
        status: 'archived',
        detail: `${plural(settled.recordingIds.length, 'recording')} with media and CDR in the archive`,
      };
    return { status: settled.status, detail: settledDetail[settled.status] ?? '' };
  }
  if (retry.has('removed')) return { status: 'removed', detail: settledDetail.removed! };
  const rejected = retry.has('rejected')
    ? '; a retry entry of it was moved to rejected/ (not a valid CDR) and will not be tried'
    : '';
  if (settled?.status === 'retry')
    return {
      status: 'missing',
      detail: `the ledger sent it to the retry buffer, but no entry is there, nor in dead/ or removed/${rejected}`,
    };
  const pending = pendingReason(input);
  if (pending !== undefined) return { status: 'pending', detail: pending };
  return {
    status: 'missing',
    detail: `due and at or before the cursor, but the ledger has no record of it${rejected}`,
  };
}

/** Why a conversation with no record is not due yet, or undefined when it is due. */
function pendingReason(input: StatusInput): string | undefined {
  const { position, genesys } = input;
  if (position.startMs !== undefined && genesys !== undefined) {
    const verdict = settleVerdict(
      { startMs: position.startMs, endMs: genesys.endMs, due: genesys.due },
      input.nowMs,
      input.limits,
    );
    if (verdict.kind === 'pending')
      return verdict.reason === 'inProgress' ? 'in progress' : 'ended less than availabilityDelayMinutes ago';
  }
  if (input.inFrontier) return 'listed by a run and pending there (frontier)';
  // A refused conversation without a readable start has no place in the order: never beyond the cursor.
  if (position.startMs === undefined) return undefined;
  const at: Position = { startMs: position.startMs, conversationId: position.conversationId };
  return comparePositions(at, input.cursor) > 0 ? 'beyond the cursor: not listed by a run yet' : undefined;
}

/**
 * FROM and TO of `--reconcile`: ISO-8601 (an offset or Z is honoured; without one the time is read
 * in `timezone`), so `yyyy-MM-dd` is that day's local midnight. Exit 2 when unreadable or not FROM < TO.
 */
export function parseReconcileRange(
  from: string,
  to: string,
  timezone: string,
): { fromMs: number; toMs: number } {
  const read = (text: string, name: string): number => {
    const ms = parseIsoInZone(text, timezone);
    if (ms === undefined)
      throw new UsageError(
        'verify.badRange',
        `cannot read ${name} ${JSON.stringify(text)} as a time; give yyyy-MM-dd (midnight in ${timezone}) or ISO-8601`,
      );
    return ms;
  };
  const fromMs = read(from, 'FROM');
  const toMs = read(to, 'TO');
  if (fromMs >= toMs)
    throw new UsageError('verify.badRange', `FROM (${from}) must be earlier than TO (${to})`);
  return { fromMs, toMs };
}
