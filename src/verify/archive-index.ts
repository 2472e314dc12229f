/**
 * A temporary, on-disk index of the ledger's recording lines for `verify --archive`, keyed by
 * recording id, so "the last ledger line of this recording" can be looked up for millions of
 * recordings while memory stays flat (SPEC §5).
 *
 * Build: the ledger is streamed once; each recording line becomes a fixed 92-byte record
 * (recording id, media SHA-256, CDR SHA-256, 8-byte digest of `file`, line sequence number)
 * appended to one of 256 bucket files by the id's first byte. Each bucket is then sorted in memory
 * (1/256 of the ledger at a time), reduced to the last line per recording (later lines win: a
 * delete rewrites the CDR and appends a new line) and appended to one sorted index file.
 * Lookup: the id of every 64th record is kept in memory, so a lookup reads one 64-record block (or
 * searches the whole index in memory when it is small). Which records the archive walk matched is
 * kept in a bitset. Memory: about 0.4 byte per recording; disk: 92 bytes per recording.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { writeAll } from '../util/atomic.js';
import { readLedger, type LedgerRecordingLine } from '../state/ledger.js';

const RECORD = 92;
const ID = 16;
const SHA = 32;
const OFF_SHA = ID;
const OFF_CDR = OFF_SHA + SHA;
const OFF_FILE = OFF_CDR + SHA;
const OFF_SEQ = OFF_FILE + 8;
const BUCKETS = 256;
/** Records buffered per bucket before they are appended to its file (16 KiB). */
const SLAB_RECORDS = 178;
/** An index up to this size (about 360 000 recordings) is read into memory for the lookups. */
const IN_MEMORY_BYTES = 32 * 1024 * 1024;
/** Records per block: the id of each block's first record is kept in memory (1/4 byte per recording). */
const BLOCK = 64;

/** The last ledger line of one recording, as the index holds it. */
export interface IndexedRecording {
  /** Where the record sits in the index (for `markSeen`). */
  position: number;
  sha256: string;
  cdrSha256: string;
  /** `fileDigest()` of the line's `file`. */
  fileDigest: Buffer;
  /** Sequence number of the line among the ledger's recording lines (0-based). */
  seq: number;
}

/** The 16 bytes of a Genesys id (a UUID); case does not matter. */
function idBytes(id: string): Buffer {
  return Buffer.from(id.replace(/-/g, ''), 'hex');
}

/** A short digest of an archive-relative path, enough to tell two paths apart. */
export function fileDigest(file: string): Buffer {
  return createHash('sha256').update(file).digest().subarray(0, 8);
}

/** Writes `line` as a record into `target` at `at` (no allocation per line: millions of lines). */
function encode(line: LedgerRecordingLine, seq: number, target: Buffer, at: number): void {
  target.write(line.recordingId.replace(/-/g, ''), at, ID, 'hex');
  target.write(line.sha256, at + OFF_SHA, SHA, 'hex');
  target.write(line.cdrSha256, at + OFF_CDR, SHA, 'hex');
  fileDigest(line.file).copy(target, at + OFF_FILE);
  target.writeUInt32BE(seq, at + OFF_SEQ);
}

/** Streams the ledger's valid recording lines with their sequence numbers. */
async function* recordingLines(ledgerDir: string): AsyncGenerator<[LedgerRecordingLine, number]> {
  let seq = 0;
  for await (const line of readLedger(ledgerDir)) {
    if (line.type !== 'recording') continue;
    yield [line, seq];
    seq += 1;
  }
}

export class LedgerIndex {
  private readonly seen: Uint8Array;

  private constructor(
    /** Distinct recordings in the ledger. */
    readonly count: number,
    /** Recording lines read (duplicates and superseded lines included). */
    readonly lines: number,
    /** The id of the first record of every block of BLOCK records. */
    private readonly fences: Buffer,
    private readonly memory: Buffer | undefined,
    private readonly handle: fs.FileHandle | undefined,
  ) {
    this.seen = new Uint8Array(Math.ceil(count / 8));
  }

  /**
   * Builds the index of the ledger in `ledgerDir` inside `tempDir` (a folder of its own). An index
   * up to `inMemoryBytes` is searched in memory, a larger one with one positioned read per lookup.
   */
  static async build(
    ledgerDir: string,
    tempDir: string,
    inMemoryBytes = IN_MEMORY_BYTES,
  ): Promise<LedgerIndex> {
    const bucketFile = (b: number): string => path.join(tempDir, `bucket-${b}.bin`);
    // One fixed slab per bucket, appended to its file when full: memory stays at BUCKETS * SLAB.
    const slabs = Array.from({ length: BUCKETS }, () => Buffer.alloc(SLAB_RECORDS * RECORD));
    const filled = new Uint32Array(BUCKETS);
    const used = new Set<number>();
    const flush = async (b: number): Promise<void> => {
      const n = filled[b] as number;
      if (n === 0) return;
      await fs.appendFile(bucketFile(b), (slabs[b] as Buffer).subarray(0, n * RECORD), { mode: 0o600 });
      filled[b] = 0;
      used.add(b);
    };
    let lines = 0;
    for await (const [line, seq] of recordingLines(ledgerDir)) {
      const b = parseInt(line.recordingId.slice(0, 2), 16);
      encode(line, seq, slabs[b] as Buffer, (filled[b] as number) * RECORD);
      filled[b] = (filled[b] as number) + 1;
      lines += 1;
      if (filled[b] === SLAB_RECORDS) await flush(b);
    }
    for (let b = 0; b < BUCKETS; b += 1) await flush(b);

    // Buckets go by the id's first byte, so writing them in order makes the whole file sorted.
    const indexFile = path.join(tempDir, 'index.bin');
    const out = await fs.open(indexFile, 'w', 0o600);
    const fences: Buffer[] = [];
    let count = 0;
    try {
      for (let b = 0; b < BUCKETS; b += 1) {
        if (!used.has(b)) continue;
        const sorted = lastPerRecording(await fs.readFile(bucketFile(b)));
        await writeAll(out, sorted, count * RECORD);
        const n = sorted.length / RECORD;
        const first = Math.ceil(count / BLOCK) * BLOCK - count;
        const bucketFences = Buffer.alloc(Math.max(0, Math.ceil((n - first) / BLOCK)) * ID);
        for (let j = first, k = 0; j < n; j += BLOCK, k += 1)
          sorted.copy(bucketFences, k * ID, j * RECORD, j * RECORD + ID);
        fences.push(bucketFences);
        count += n;
        await fs.rm(bucketFile(b));
      }
    } finally {
      await out.close();
    }
    const all = Buffer.concat(fences);
    if (count * RECORD <= inMemoryBytes) {
      return new LedgerIndex(count, lines, all, await fs.readFile(indexFile), undefined);
    }
    return new LedgerIndex(count, lines, all, undefined, await fs.open(indexFile, 'r'));
  }

  /** The last ledger line of `recordingId`, or undefined when the ledger has none. */
  async find(recordingId: string): Promise<IndexedRecording | undefined> {
    const key = idBytes(recordingId);
    // The last block whose first id is not above the key is the only one that can hold it.
    let lo = 0;
    let hi = this.fences.length / ID;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.fences.compare(key, 0, ID, mid * ID, mid * ID + ID) <= 0) lo = mid + 1;
      else hi = mid;
    }
    if (lo === 0) return undefined;
    const first = (lo - 1) * BLOCK;
    const block = await this.readBlock(first, Math.min(BLOCK, this.count - first));
    lo = 0;
    hi = block.length / RECORD;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const at = mid * RECORD;
      const order = block.compare(key, 0, ID, at, at + ID);
      if (order === 0) {
        return {
          position: first + mid,
          sha256: block.toString('hex', at + OFF_SHA, at + OFF_SHA + SHA),
          cdrSha256: block.toString('hex', at + OFF_CDR, at + OFF_CDR + SHA),
          fileDigest: Buffer.from(block.subarray(at + OFF_FILE, at + OFF_FILE + 8)),
          seq: block.readUInt32BE(at + OFF_SEQ),
        };
      }
      if (order < 0) lo = mid + 1;
      else hi = mid;
    }
    return undefined;
  }

  /** Notes that the archive holds a CDR for the record at `position`. */
  markSeen(position: number): void {
    this.seen[position >>> 3] = (this.seen[position >>> 3] as number) | (1 << (position & 7));
  }

  isSeen(position: number): boolean {
    return ((this.seen[position >>> 3] as number) & (1 << (position & 7))) !== 0;
  }

  /** How many recordings of the ledger the archive walk has not matched. */
  unseenCount(): number {
    let seenCount = 0;
    for (const byte of this.seen) {
      for (let bits = byte; bits !== 0; bits &= bits - 1) seenCount += 1;
    }
    return this.count - seenCount;
  }

  /**
   * Streams the ledger again and yields the last line of every recording the walk did not match.
   * Only called when there are such recordings, so a clean audit reads the ledger once here.
   * Lines appended since the index was built (a run working meanwhile) are not in it and skipped.
   */
  async *unseenLines(ledgerDir: string): AsyncGenerator<LedgerRecordingLine> {
    for await (const [line, seq] of recordingLines(ledgerDir)) {
      const found = await this.find(line.recordingId);
      if (found !== undefined && found.seq === seq && !this.isSeen(found.position)) yield line;
    }
  }

  async close(): Promise<void> {
    await this.handle?.close();
  }

  private async readBlock(first: number, n: number): Promise<Buffer> {
    if (this.memory !== undefined) return this.memory.subarray(first * RECORD, (first + n) * RECORD);
    const block = Buffer.alloc(n * RECORD);
    await (this.handle as fs.FileHandle).read(block, 0, block.length, first * RECORD);
    return block;
  }
}

/**
 * Sorts a bucket's records by recording id and keeps, for each id, the record with the highest
 * sequence number (the ledger's last line for it).
 */
function lastPerRecording(bucket: Buffer): Buffer {
  const n = bucket.length / RECORD;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i += 1) order[i] = i;
  order.sort((a, b) => {
    const byId = bucket.compare(bucket, b * RECORD, b * RECORD + ID, a * RECORD, a * RECORD + ID);
    if (byId !== 0) return byId;
    return bucket.readUInt32BE(a * RECORD + OFF_SEQ) - bucket.readUInt32BE(b * RECORD + OFF_SEQ);
  });
  const out = Buffer.alloc(n * RECORD);
  let kept = 0;
  for (let i = 0; i < n; i += 1) {
    const at = (order[i] as number) * RECORD;
    const next = order[i + 1];
    // Sorted by id then sequence: only the last record of a run of equal ids is kept.
    if (next !== undefined && bucket.compare(bucket, next * RECORD, next * RECORD + ID, at, at + ID) === 0) {
      continue;
    }
    bucket.copy(out, kept * RECORD, at, at + RECORD);
    kept += 1;
  }
  return out.subarray(0, kept * RECORD);
}
