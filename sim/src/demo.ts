#!/usr/bin/env node
/**
 * `npm run demo`: shows `genesys-ingest` working with no Genesys account. Starts the project's
 * Genesys simulator in this process with three days of generated calls, writes a real configuration
 * into `./demo/`, and runs the built command against it as child processes — a `catchup`, a change
 * "in Genesys", a scheduled `run` that heals the retry buffer, then `retry list` and `cursor get` —
 * and ends with a tour of what was written. SPEC §6.
 */
import { changeGenesys, demoOrg, describeOrg } from './demo-scenario.js';
import { printSummary, toolCommand } from './demo-summary.js';
import {
  BIN,
  checkBuilt,
  childEnv,
  DemoError,
  demoConfig,
  forwardSignal,
  PACKAGE_ROOT,
  prepareDemoDir,
  runTool,
  writeDemoFiles,
} from './demo-workspace.js';
import { describeTraffic, markTraffic, startTicker, trafficSince } from './demo-traffic.js';
import { startSimulator, type Simulator } from './index.js';

const DEMO_DIR = 'demo';
const CONFIG_ARG = `${DEMO_DIR}/genesys-ingest.json`;
const KEY = 'demo_sim';
const DAYS = 3;
const CONVERSATIONS = 200;
const AVAILABILITY_DELAY_MINUTES = 2;
/** Children get this: an overdue recording is given up on after 3 s instead of two minutes. */
const TOOL_ENV = { GENESYS_INGEST_NOT_READY_POLL_MS: '3000' };

const color = process.stdout.isTTY === true && (process.env.NO_COLOR ?? '') === '';
const paint = (text: string, code: string): string => (color ? `\u001b[${code}m${text}\u001b[0m` : text);
const heading = (title: string): string => `\n${paint(`== ${title}`, '1;36')}`;
const say = (text = ''): void => void process.stdout.write(`${text}\n`);

/**
 * Runs one step of the tool. 0 and 1 are both normal in the demo (1: alerts were raised, which the
 * default mix guarantees); anything else means the tool or the demo is broken. With `sim`, shows
 * what Genesys saw while the step ran.
 */
async function step(args: string[], sim?: Simulator): Promise<number> {
  say(paint(`$ genesys-ingest ${args.join(' ')}`, '2'));
  const started = Date.now();
  const mark = sim === undefined ? 0 : markTraffic(sim);
  const stopTicker = sim === undefined ? undefined : startTicker(sim, mark, (line) => say(paint(line, '2')));
  let code: number;
  try {
    code = await runTool(args, childEnv(TOOL_ENV));
  } finally {
    stopTicker?.();
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (sim !== undefined) say(paint(`  Genesys saw ${describeTraffic(trafficSince(sim, mark))}.`, '2'));
  if (code === 0) say(paint(`→ exit 0 (${seconds} s)`, '32'));
  else if (code === 1)
    say(
      paint(`→ exit 1 (${seconds} s): finished, with alerts raised — expected here; see the warnings`, '33'),
    );
  else if (code === 130) throw new DemoError('interrupted; the tool saved its state', 130);
  else throw new DemoError(`genesys-ingest ${args[0] ?? ''} exited ${code}: the demo cannot go on`);
  return code;
}

async function demo(sim: Simulator, nowMs: number, outcome: 'created' | 'replaced'): Promise<void> {
  say(heading('1. A simulated Genesys Cloud'));
  say(
    `Running in this process at ${sim.apiUrl} (HTTPS with its own CA, OAuth, a rate limit, transcoding delays).`,
  );
  for (const line of describeOrg(sim.org, nowMs)) say(line);

  const client = sim.clients[0];
  if (client === undefined) throw new DemoError('the simulator has no OAuth client');
  await writeDemoFiles(
    DEMO_DIR,
    demoConfig({
      authUrl: sim.authUrl,
      apiUrl: sim.apiUrl,
      clientId: client.clientId,
      clientSecret: client.clientSecret,
      recordingStartMs: nowMs - DAYS * 86_400_000,
      availabilityDelayMinutes: AVAILABILITY_DELAY_MINUTES,
    }),
    sim.pki.caCert,
  );
  say(
    `${outcome === 'replaced' ? 'Replaced' : 'Created'} ./${DEMO_DIR}/ with ${CONFIG_ARG} ` +
      `(a real configuration: codec WAV, timezone Europe/Dublin, ${AVAILABILITY_DELAY_MINUTES}-minute availability delay) ` +
      `and ${DEMO_DIR}/ca.pem (the simulator's CA, in tls.trustList).`,
  );

  say(heading(`2. Back-fill the last ${DAYS} days: catchup`));
  say('Lists every voice conversation since recordingStartTimestamp, downloads each available recording as');
  say(
    'WAV (transcoded by "Genesys" on request), writes its CDR beside it, and moves the cursor past what is',
  );
  say('settled. Expect alerts: recordings archived, deleted or in ERROR in Genesys, and uploads that never');
  say('finish (overdue). Archived and overdue ones go to the retry buffer; calls still in progress are');
  say('pending, and the cursor waits before the first of them.');
  await step(['catchup', '--config', CONFIG_ARG], sim);

  say(heading('3. Meanwhile, in Genesys'));
  const changes = changeGenesys(sim.org, Date.now(), AVAILABILITY_DELAY_MINUTES);
  say(
    `${changes.restored} archived recordings were restored (state RESTORED)` +
      (changes.keptArchived === undefined
        ? ''
        : `; those of ${changes.keptArchived} were not, so they stay in the retry buffer`) +
      '.',
  );
  say(
    `${changes.uploaded} stuck uploads finished; ${changes.ended} calls that were in progress ended` +
      (changes.stillRunning > 0
        ? ` (${changes.stillRunning} started too recently to be due yet, and stay pending)`
        : '') +
      '.',
  );

  say(heading('4. The scheduled pass: run'));
  say('What cron runs every few minutes: a batch from the retry buffer first, then everything from the');
  say('cursor to now − availability delay. An entry that fails again for the same reason raises no new');
  say('alert; nothing already archived is downloaded again.');
  await step(['run', '--config', CONFIG_ARG], sim);

  say(heading('5. What is left to retry, and where the cursor stands'));
  await step(['retry', 'list', '--config', CONFIG_ARG]);
  await step(['cursor', 'get', '--config', CONFIG_ARG]);

  await printSummary(
    {
      demoDir: DEMO_DIR,
      configArg: CONFIG_ARG,
      command: toolCommand(process.cwd(), PACKAGE_ROOT, BIN),
      key: KEY,
    },
    heading,
  );
}

async function main(): Promise<number> {
  checkBuilt();
  // Before anything else: a folder that is not ours stops the demo with nothing started.
  const outcome = await prepareDemoDir(DEMO_DIR);
  const started = Date.now();
  say(
    paint('genesys-ingest demo', '1') +
      ` — the tool from ${PACKAGE_ROOT}, against a simulator, into ./${DEMO_DIR}/`,
  );
  const nowMs = Date.now();
  const sim = await startSimulator({
    org: demoOrg(nowMs, DAYS, CONVERSATIONS),
    // Generous, so the demo is quick; real Genesys allows 300 requests a minute per token.
    rateLimitPerMinute: 3000,
    // Each conversation's first recordings request waits this long for its transcode. The tool asks
    // Genesys to hold its answer (maxWaitMs 5000) rather than answer 202, so the wait shows as
    // time, not as 202s; 300 ms keeps the demo near 20 s with concurrency 4.
    transcodeMs: 300,
  });
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    // With a child running, it gets the signal and exits 130; the step then ends the demo cleanly.
    if (forwardSignal(signal) || stopping) return;
    stopping = true;
    void sim.close().then(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await demo(sim, nowMs, outcome);
  } finally {
    stopping = true;
    await sim.close();
  }
  say();
  say(paint(`Demo finished in ${((Date.now() - started) / 1000).toFixed(0)} s.`, '1'));
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof DemoError) {
      process.stderr.write(`demo: ${error.message}\n`);
      process.exitCode = error.exitCode;
    } else {
      process.stderr.write(
        `demo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exitCode = 1;
    }
  },
);
