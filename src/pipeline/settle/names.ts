/**
 * Queue and wrap-up code names for a conversation's CDRs (SPEC §3.5). A lookup that fails — the
 * OAuth client's role lacks `routing:queue:view` or `routing:wrapupCode:view` (403), or Genesys or
 * the network fails past the retries — never holds media back: the CDRs carry the ids only, that kind
 * is not asked again for the rest of the run (cached names are still used), and the run raises one
 * `namesUnavailable` alert, whichever kind failed first. An id Genesys does not know (404) is written
 * as an id only, without an alert (see `genesys/names.ts`).
 */
import { RemoteError } from '../../errors.js';
import { GenesysApiError, NAME_LOOKUPS, type NameKind, type NamesApi } from '../../genesys/index.js';
import { routingIds, type CdrLookups, type ConversationFacts } from '../conversation-facts.js';
import { reasonOf } from '../failures.js';
import type { RunContext } from '../run-context.js';

/** Per run: the kinds whose lookups failed, and whether the alert was raised. */
interface NamesState {
  readonly failed: Set<NameKind>;
  alerted: boolean;
}

const states = new WeakMap<RunContext, NamesState>();

function stateOf(ctx: RunContext): NamesState {
  let state = states.get(ctx);
  if (state === undefined) {
    state = { failed: new Set(), alerted: false };
    states.set(ctx, state);
  }
  return state;
}

/** A failure of the lookup itself, as opposed to a local one (disk) or a bug, which are thrown on. */
function isLookupFailure(error: unknown): boolean {
  return error instanceof RemoteError || error instanceof GenesysApiError;
}

async function namesOf(
  ctx: RunContext,
  api: NamesApi,
  ids: readonly string[],
): Promise<ReadonlyMap<string, string>> {
  if (ids.length === 0) return new Map();
  const state = stateOf(ctx);
  if (state.failed.has(api.kind)) return api.cachedNames(ids);
  try {
    return await api.getNames(ids, { signal: ctx.signal });
  } catch (error) {
    if (ctx.signal.aborted || !isLookupFailure(error)) throw error;
    state.failed.add(api.kind);
    const { label, permission } = NAME_LOOKUPS[api.kind];
    ctx.events.debug(`${label} names unavailable: ${reasonOf(error)}`);
    if (!state.alerted) {
      state.alerted = true;
      ctx.report.alert({
        type: 'namesUnavailable',
        conversationId: '',
        recordingId: '',
        message: `${label} names could not be looked up, so CDRs carry ${label} ids without names for the rest of this run (media is archived as usual); if the OAuth client's role lacks ${permission}, grant it: ${reasonOf(error)}`,
      });
    }
    return api.cachedNames(ids);
  }
}

/** The queue and wrap-up code names of the conversation (those that could be looked up). */
export async function lookUpNames(
  ctx: RunContext,
  facts: ConversationFacts,
): Promise<Pick<CdrLookups, 'queues' | 'wrapUpCodes'>> {
  const ids = routingIds(facts.raw);
  const [queues, wrapUpCodes] = await Promise.all([
    namesOf(ctx, ctx.client.queues, ids.queues),
    namesOf(ctx, ctx.client.wrapUpCodes, ids.wrapUpCodes),
  ]);
  return { queues, wrapUpCodes };
}
