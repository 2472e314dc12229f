/**
 * The `startup` scenario (SPEC §5: `cursor get`, `retry list` and `--help` answer in well under half a
 * second): the median wall time of N runs of each, on an import source with a cursor and a few
 * retry entries. Wall time is from spawn to exit, so it includes Node's own start.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { BenchOptions } from './bench-options.js';
import { childEnv, describeFailure, runTool } from './bench-child.js';
import { checked, type Figure, type ScenarioOutcome } from './bench-report.js';
import { makeWorkspace } from './bench-workspace.js';

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** Runs `args` and throws unless it exits 0. */
async function mustRun(args: string[]): Promise<number> {
  const run = await runTool(args, { env: childEnv(), timeoutMs: 60_000 });
  if (run.code !== 0)
    throw new Error(`genesys-ingest ${args.slice(0, 2).join(' ')} failed: ${describeFailure(run)}`);
  return run.wallMs;
}

/** Node alone (`node -e 0`), spawned the same way, to tell the tool's start from the runtime's. */
async function bareNode(runs: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const t = performance.now();
    await new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
      child.once('error', reject);
      child.once('close', () => resolve());
    });
    times.push(performance.now() - t);
  }
  return median(times);
}

export async function startupScenario(options: BenchOptions): Promise<ScenarioOutcome> {
  const started = performance.now();
  const ws = await makeWorkspace(
    undefined,
    { codec: 'WAV', recordingStartMs: Date.now() - 7 * 86_400_000 },
    options.keep,
  );
  try {
    await mustRun(['cursor', 'set', new Date(Date.now() - 86_400_000).toISOString(), ...ws.configArgs]);
    for (let i = 0; i < 3; i += 1)
      await mustRun(['retry', 'add', '--conversation', randomUUID(), ...ws.configArgs]);
    const commands: [string, string[]][] = [
      ['cursor get', ['cursor', 'get', ...ws.configArgs]],
      ['retry list', ['retry', 'list', ...ws.configArgs]],
      ['--help', ['--help']],
    ];
    const node = await bareNode(options.startupRuns);
    const figures: Figure[] = [];
    const details: Record<string, unknown> = { nodeAloneMs: node, runs: options.startupRuns };
    for (const [label, args] of commands) {
      const times: number[] = [];
      for (let i = 0; i < options.startupRuns; i += 1) times.push(await mustRun(args));
      const mid = median(times);
      details[label] = times;
      figures.push(
        checked(
          `${label}: median wall`,
          mid / 1000,
          `${(mid / 1000).toFixed(3)} s`,
          'under',
          0.5,
          '< 0.5 s',
          `${options.startupRuns} runs, ${(Math.min(...times) / 1000).toFixed(3)}–${(Math.max(...times) / 1000).toFixed(3)} s; node -e 0 alone: ${(node / 1000).toFixed(3)} s`,
        ),
      );
    }
    return { name: 'startup', status: 'ok', seconds: (performance.now() - started) / 1000, figures, details };
  } finally {
    await ws.cleanup();
  }
}
