/**
 * What the simulated Genesys saw during one step of the demo: API requests (and how many of them
 * were 202 "still transcoding" answers or 429s), media downloads, logins. The tool prints nothing
 * until a run ends, so the demo also shows these figures as the run goes.
 */
import type { Simulator } from './index.js';

/** A point in the simulator's request log to count from: the last request's sequence number. */
export type TrafficMark = number;

export function markTraffic(sim: Simulator): TrafficMark {
  return sim.log[sim.log.length - 1]?.seq ?? 0;
}

export interface Traffic {
  logins: number;
  api: number;
  accepted202: number;
  rateLimited: number;
  media: number;
}

/** Requests since `mark`, newest first until the mark (the log is in arrival order). */
export function trafficSince(sim: Simulator, mark: TrafficMark): Traffic {
  const traffic: Traffic = { logins: 0, api: 0, accepted202: 0, rateLimited: 0, media: 0 };
  for (let i = sim.log.length - 1; i >= 0; i--) {
    const entry = sim.log[i];
    if (entry === undefined || entry.seq <= mark) break;
    if (entry.listener === 'auth') traffic.logins += 1;
    else if (entry.listener === 'media') traffic.media += 1;
    else {
      traffic.api += 1;
      if (entry.status === 202) traffic.accepted202 += 1;
      if (entry.status === 429) traffic.rateLimited += 1;
    }
  }
  return traffic;
}

/** One line about the traffic, in the words of someone watching Genesys. */
export function describeTraffic(t: Traffic): string {
  const parts = [
    `${t.api} API requests`,
    ...(t.accepted202 > 0 ? [`${t.accepted202} of them 202 "still transcoding"`] : []),
    ...(t.rateLimited > 0 ? [`${t.rateLimited} refused with 429`] : []),
    `${t.media} media downloads`,
    t.logins === 0
      ? 'no login (the cached token was reused)'
      : `${t.logins} login${t.logins === 1 ? '' : 's'}`,
  ];
  return parts.join(', ');
}

/**
 * Prints the traffic so far every `everyMs` while a step runs; returns the function that stops it.
 * Silent for steps that end quickly.
 */
export function startTicker(
  sim: Simulator,
  mark: TrafficMark,
  print: (line: string) => void,
  everyMs = 4000,
): () => void {
  const started = Date.now();
  const timer = setInterval(() => {
    const seconds = Math.round((Date.now() - started) / 1000);
    print(`  … ${seconds} s: Genesys has seen ${describeTraffic(trafficSince(sim, mark))}`);
  }, everyMs);
  return () => clearInterval(timer);
}
