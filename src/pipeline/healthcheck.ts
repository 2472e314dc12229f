/**
 * `healthcheckUrl` pings (SPEC §2): `<url>/start` when a run starts, `<url>` on success and
 * `<url>/fail` on failure, through the proxy. A failed ping never changes the exit code.
 */
import type { RunContext } from './run-context.js';

export async function pingHealthcheck(
  ctx: Pick<RunContext, 'config' | 'client' | 'events'>,
  suffix: '' | '/start' | '/fail',
): Promise<void> {
  const url = ctx.config.healthcheckUrl;
  if (url === undefined) return;
  try {
    // The media stack carries no Genesys Authorization header, and goes through the proxy.
    await ctx.client.transport.media.get(`${url}${suffix}`, {
      timeout: { request: 10_000 },
      retry: { limit: 0 },
      throwHttpErrors: false,
    });
  } catch (error) {
    ctx.events.debug(`healthcheck ping failed: ${(error as Error).message}`);
  }
}
