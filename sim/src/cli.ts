#!/usr/bin/env node
/**
 * Runs the simulator as a process: `node sim/dist/cli.js --days 3 --conversations 200
 * --state-file sim.json`. Writes the PKI (CA first) to a folder, prints one JSON line with the URLs,
 * client credentials and file paths (also written to `--state-file`), and serves until SIGINT or
 * SIGTERM.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { generateOrg, generatePki, startSimulator, writePki } from './index.js';

const USAGE = `usage: cli.js [--days N] [--conversations N] [--seed S] [--state-file F] [--pki-dir D] [--ca-file F]
       [--rate-limit N] [--transcode-ms N] [--restore-ms N] [--batch-ms N] [--job-ms N] [--media-bps N] [--latency-ms MIN-MAX]
       [--recording-bytes N|MIN-MAX] [--client-id ID] [--client-secret S] [--require-client-cert]`;

function int(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw new Error(`--${name} must be a whole number`);
  return Number(value);
}

function range(value: string | undefined, name: string): [number, number] | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d+)(?:-(\d+))?$/.exec(value);
  if (!m) throw new Error(`--${name} must be N or MIN-MAX`);
  return [Number(m[1]), Number(m[2] ?? m[1])];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      days: { type: 'string' },
      conversations: { type: 'string' },
      seed: { type: 'string' },
      'state-file': { type: 'string' },
      'pki-dir': { type: 'string' },
      'ca-file': { type: 'string' },
      'rate-limit': { type: 'string' },
      'transcode-ms': { type: 'string' },
      'restore-ms': { type: 'string' },
      'batch-ms': { type: 'string' },
      'job-ms': { type: 'string' },
      'media-bps': { type: 'string' },
      'latency-ms': { type: 'string' },
      'recording-bytes': { type: 'string' },
      'client-id': { type: 'string' },
      'client-secret': { type: 'string' },
      'require-client-cert': { type: 'boolean' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const now = Date.now();
  const days = int(values.days, 'days', 3);
  const recordingBytes = range(values['recording-bytes'], 'recording-bytes');
  const org = generateOrg({
    seed: values.seed ?? 1,
    fromMs: now - days * 86_400_000,
    toMs: now,
    conversations: int(values.conversations, 'conversations', 200),
    ...(recordingBytes ? { recordingBytes } : {}),
  });
  const clientId = values['client-id'] ?? 'sim-client';
  const clientSecret = values['client-secret'] ?? 'sim-secret';
  const pkiDir = values['pki-dir'] ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'genesys-sim-')));
  const pki = generatePki();
  const files = await writePki(pki, path.resolve(pkiDir));
  if (values['ca-file'] !== undefined) await fs.writeFile(values['ca-file'], pki.caCert, { mode: 0o600 });
  const latency = range(values['latency-ms'], 'latency-ms');
  const sim = await startSimulator({
    pki,
    org,
    clients: [{ clientId, clientSecret }],
    rateLimitPerMinute: int(values['rate-limit'], 'rate-limit', 300),
    transcodeMs: int(values['transcode-ms'], 'transcode-ms', 0),
    restoreMs: int(values['restore-ms'], 'restore-ms', 0),
    batchCompleteMs: int(values['batch-ms'], 'batch-ms', 0),
    asyncJobMs: int(values['job-ms'], 'job-ms', 0),
    mediaBytesPerSecond: int(values['media-bps'], 'media-bps', 0),
    requireClientCert: values['require-client-cert'] === true,
    ...(latency ? { apiLatencyMs: latency } : {}),
  });
  const info = {
    authUrl: sim.authUrl,
    apiUrl: sim.apiUrl,
    mediaUrl: sim.mediaUrl,
    clientId,
    clientSecret,
    caFile: values['ca-file'] !== undefined ? path.resolve(values['ca-file']) : files.caCert,
    pkiDir: path.resolve(pkiDir),
    clientCertFile: files.clientCert,
    clientKeyFile: files.clientKey,
    clientPfxFile: files.clientPfx,
    pfxPassword: pki.pfxPassword,
    conversations: org.conversations.length,
    recordings: org.recordings.length,
    pid: process.pid,
  };
  const line = JSON.stringify(info);
  if (values['state-file'] !== undefined) {
    // Written whole under a temporary name, then renamed: a watcher never reads half a file.
    const target = path.resolve(values['state-file']);
    const temp = `${target}.${process.pid}.partial`;
    await fs.writeFile(temp, `${line}\n`, { mode: 0o600 });
    await fs.rename(temp, target);
  }
  console.log(line);
  const stop = (): void => {
    void sim.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  console.error(USAGE);
  process.exit(2);
});
