/**
 * Queues and wrap-up codes by id (`GET /api/v2/routing/queues/{queueId}`, `GET /api/v2/routing/
 * wrapupcodes/{codeId}`), each behind its permission as in Genesys (`routing:queue:view`,
 * `routing:wrapupCode:view`; a client without it gets 403 `missing.permissions`), 404 `not.found`
 * for an id the organisation does not have. Only the fields the tool reads, plus the usual `selfUri`.
 */
import { notFound, type ApiRequest, type ApiResponse, type Route, type SimContext } from './api-core.js';
import type { SimNamed } from './model.js';

function find(list: readonly SimNamed[], id: string | undefined, what: string): SimNamed {
  const found = list.find((item) => item.id === id);
  if (found === undefined) throw notFound(`The requested ${what} was not found.`);
  return found;
}

function queue(req: ApiRequest, ctx: SimContext): ApiResponse {
  const q = find(ctx.org.queues, req.params.queueId, 'queue');
  return { status: 200, body: { id: q.id, name: q.name, selfUri: `/api/v2/routing/queues/${q.id}` } };
}

function wrapUpCode(req: ApiRequest, ctx: SimContext): ApiResponse {
  const code = find(ctx.org.wrapUpCodes, req.params.codeId, 'wrap-up code');
  return {
    status: 200,
    body: { id: code.id, name: code.name, selfUri: `/api/v2/routing/wrapupcodes/${code.id}` },
  };
}

/** The queue and wrap-up code routes. */
export function routingRoutes(): Route[] {
  return [
    {
      method: 'GET',
      pattern: '/api/v2/routing/queues/{queueId}',
      permissions: { all: ['routing:queue:view'] },
      handler: queue,
    },
    {
      method: 'GET',
      pattern: '/api/v2/routing/wrapupcodes/{codeId}',
      permissions: { all: ['routing:wrapupCode:view'] },
      handler: wrapUpCode,
    },
  ];
}
