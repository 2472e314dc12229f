/**
 * Media bytes of simulated recordings: deterministic per (recording, format, media key), any size,
 * produced chunk by chunk so a 1 GB recording is never held in memory. Containers are framed
 * plausibly — a RIFF/WAVE header whose sizes add up, Ogg pages with valid CRCs — so a client's
 * container check passes on a complete file and fails on a truncated one. Tests compare archived
 * bytes with `expectedMedia`.
 */
import { createHash } from 'node:crypto';
import type { MediaFormat, SimRecording } from './model.js';

const BLOCK = 65_536;
/** Largest Ogg page: 27-byte header, 255 lacing values, 255 × 255 payload bytes. */
const OGG_MAX_PAGE = 27 + 255 + 255 * 255;
const OGG_MIN_PAGE = 28;

type Container = 'wav-pcm' | 'wav-ulaw' | 'ogg' | 'webm' | 'mp3' | 'raw';

/** The Content-Type the media host serves for this recording in this format. */
export function contentTypeFor(
  recording: Pick<SimRecording, 'media' | 'originalContentType'>,
  format: MediaFormat,
): string {
  if (recording.media === 'screen') return 'video/webm';
  if (recording.media === 'chat') return 'application/json';
  switch (format) {
    case 'WAV':
    case 'WAV_ULAW':
      return 'audio/wav';
    case 'WEBM':
      return 'audio/webm';
    case 'OGG_VORBIS':
    case 'OGG_OPUS':
      return 'audio/ogg';
    case 'MP3':
      return 'audio/mpeg';
    case 'ORIGINAL':
      return recording.originalContentType;
  }
}

function containerFor(
  recording: Pick<SimRecording, 'media' | 'originalContentType'>,
  format: MediaFormat,
): Container {
  if (recording.media !== 'audio') return recording.media === 'screen' ? 'webm' : 'raw';
  if (format === 'WAV_ULAW') return 'wav-ulaw';
  const type = contentTypeFor(recording, format);
  if (type === 'audio/wav') return 'wav-pcm';
  if (type === 'audio/ogg' || type === 'audio/opus') return 'ogg';
  if (type === 'audio/webm') return 'webm';
  return type === 'audio/mpeg' ? 'mp3' : 'raw';
}

/** Pseudo-random payload bytes from a seed: 64 KiB base block, rotated and stamped per block. */
class Payload {
  private readonly base: Buffer;
  private block = -1;
  private current = Buffer.alloc(BLOCK);
  private offset = 0;

  constructor(seed: string) {
    this.base = Buffer.alloc(BLOCK);
    for (let i = 0; i < BLOCK / 32; i++) {
      createHash('sha256')
        .update(seed)
        .update(String(i))
        .digest()
        .copy(this.base, i * 32);
    }
  }

  take(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const index = Math.floor(this.offset / BLOCK);
      if (index !== this.block) this.load(index);
      const within = this.offset % BLOCK;
      const count = Math.min(n - filled, BLOCK - within);
      this.current.copy(out, filled, within, within + count);
      filled += count;
      this.offset += count;
    }
    return out;
  }

  private load(index: number): void {
    // A per-block rotation plus the block number keeps long files from repeating.
    const rotation = (Math.imul(index + 1, 2_654_435_761) >>> 16) % BLOCK;
    this.base.copy(this.current, 0, rotation);
    this.base.copy(this.current, BLOCK - rotation, 0, rotation);
    this.current.writeUInt32LE(index >>> 0, 0);
    this.block = index;
  }
}

/** CRC tables for slicing by 4: tables[k][b] is byte b followed by k zero bytes. */
const crcTables = ((): Uint32Array[] => {
  const t0 = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let r = i << 24;
    for (let j = 0; j < 8; j++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
    t0[i] = r >>> 0;
  }
  const tables = [t0];
  for (let k = 1; k < 4; k++) {
    const prev = tables[k - 1] ?? t0;
    const next = new Uint32Array(256);
    for (let i = 0; i < 256; i++) {
      const v = prev[i] ?? 0;
      next[i] = ((v << 8) ^ (t0[v >>> 24] ?? 0)) >>> 0;
    }
    tables.push(next);
  }
  return tables;
})();

/** CRC-32 as Ogg defines it (polynomial 0x04c11db7, no reflection, initial value 0). */
export function oggCrc(data: Uint8Array): number {
  const [t0, t1, t2, t3] = crcTables as [Uint32Array, Uint32Array, Uint32Array, Uint32Array];
  let crc = 0;
  let i = 0;
  // Four bytes a step (this runs over every byte of every Ogg page served).
  for (const end = data.length - 3; i < end; i += 4) {
    crc ^=
      ((data[i] ?? 0) << 24) | ((data[i + 1] ?? 0) << 16) | ((data[i + 2] ?? 0) << 8) | (data[i + 3] ?? 0);
    crc =
      (t3[crc >>> 24] ?? 0) ^
      (t2[(crc >>> 16) & 0xff] ?? 0) ^
      (t1[(crc >>> 8) & 0xff] ?? 0) ^
      (t0[crc & 0xff] ?? 0);
  }
  for (; i < data.length; i++) crc = (crc << 8) ^ (t0[((crc >>> 24) ^ (data[i] ?? 0)) & 0xff] ?? 0);
  return crc >>> 0;
}

function wavHeader(size: number, ulaw: boolean): Buffer {
  const header = Buffer.alloc(44);
  const bytesPerSample = ulaw ? 1 : 2;
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(size - 8, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(ulaw ? 7 : 1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(8000, 24);
  header.writeUInt32LE(8000 * bytesPerSample, 28);
  header.writeUInt16LE(bytesPerSample, 32);
  header.writeUInt16LE(bytesPerSample * 8, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(size - 44, 40);
  return header;
}

/** One Ogg page of exactly `total` bytes (28 ≤ total ≤ OGG_MAX_PAGE). */
function oggPage(
  payload: Payload,
  total: number,
  sequence: number,
  continued: boolean,
  last: boolean,
): Buffer {
  // total = 27 + n + 255 (n − 1) + tail, with n lacing values, the last one `tail` (0..255).
  const n = Math.max(1, Math.ceil((total - 27) / 256));
  const tail = total - 256 * n + 228;
  const page = Buffer.alloc(total);
  page.write('OggS', 0, 'ascii');
  page[5] = (continued ? 0x01 : 0) | (sequence === 0 ? 0x02 : 0) | (last ? 0x04 : 0);
  // A page on which no packet ends carries granule position −1.
  if (tail === 255) page.writeBigInt64LE(-1n, 6);
  else page.writeBigUInt64LE(BigInt(sequence + 1) * 960n, 6);
  page.writeUInt32LE(0x53494d31, 14);
  page.writeUInt32LE(sequence, 18);
  page[26] = n;
  page.fill(255, 27, 27 + n - 1);
  page[27 + n - 1] = tail;
  payload.take(total - 27 - n).copy(page, 27 + n);
  page.writeUInt32LE(oggCrc(page), 22);
  return page;
}

function* framed(container: Container, size: number, payload: Payload): Generator<Buffer> {
  let remaining = size;
  if ((container === 'wav-pcm' || container === 'wav-ulaw') && size >= 44) {
    yield wavHeader(size, container === 'wav-ulaw');
    remaining -= 44;
  } else if (container === 'ogg' && size >= OGG_MIN_PAGE) {
    let sequence = 0;
    let continued = false;
    while (remaining > 0) {
      let total = remaining;
      if (remaining > OGG_MAX_PAGE) {
        // Leave at least one minimal page for the end.
        total = remaining - OGG_MAX_PAGE >= OGG_MIN_PAGE ? OGG_MAX_PAGE : remaining - OGG_MIN_PAGE;
      }
      const page = oggPage(payload, total, sequence, continued, total === remaining);
      continued = page[27 + (page[26] ?? 1) - 1] === 255;
      sequence++;
      remaining -= total;
      yield page;
    }
    return;
  } else if (container === 'webm' && size >= 4) {
    yield Buffer.from([0x1a, 0x45, 0xdf, 0xa3]);
    remaining -= 4;
  } else if (container === 'mp3' && size >= 3) {
    yield Buffer.from('ID3', 'ascii');
    remaining -= 3;
  }
  while (remaining > 0) {
    const n = Math.min(BLOCK, remaining);
    yield payload.take(n);
    remaining -= n;
  }
}

/** The bytes of one media file, in chunks of at most ~64 KiB; `size` of them in total. */
export function mediaChunks(
  recording: Pick<SimRecording, 'id' | 'media' | 'originalContentType' | 'sizeBytes'>,
  format: MediaFormat,
  key = 'S',
): Generator<Buffer> {
  const container = containerFor(recording, format);
  const seed = `${recording.id}|${format === 'ORIGINAL' ? `ORIGINAL:${recording.originalContentType}` : format}|${key}`;
  return framed(container, recording.sizeBytes, new Payload(seed));
}

/** What a correct download of a media file is: its size, SHA-256 (lowercase hex) and Content-Type. */
export interface ExpectedMedia {
  readonly size: number;
  readonly sha256: string;
  readonly contentType: string;
}

const expectedCache = new Map<string, ExpectedMedia>();

function cacheKey(
  recording: Pick<SimRecording, 'id' | 'sizeBytes'>,
  format: MediaFormat,
  key: string,
): string {
  return `${recording.id}|${format}|${key}|${recording.sizeBytes}`;
}

/**
 * The expected result of downloading `recording` in `format` (media file `key`). Hashes the whole
 * stream synchronously on first use (about 1–3 s per GB); results are cached.
 */
export function expectedMedia(
  recording: Pick<SimRecording, 'id' | 'media' | 'originalContentType' | 'sizeBytes'>,
  format: MediaFormat,
  key = 'S',
): ExpectedMedia {
  const cached = expectedCache.get(cacheKey(recording, format, key));
  if (cached) return cached;
  const hash = createHash('sha256');
  for (const chunk of mediaChunks(recording, format, key)) hash.update(chunk);
  const result = {
    size: recording.sizeBytes,
    sha256: hash.digest('hex'),
    contentType: contentTypeFor(recording, format),
  };
  expectedCache.set(cacheKey(recording, format, key), result);
  return result;
}

/** Like `expectedMedia`, but yields to the event loop between chunks (for large files in a live test). */
export async function expectedMediaAsync(
  recording: Pick<SimRecording, 'id' | 'media' | 'originalContentType' | 'sizeBytes'>,
  format: MediaFormat,
  key = 'S',
): Promise<ExpectedMedia> {
  const cached = expectedCache.get(cacheKey(recording, format, key));
  if (cached) return cached;
  const hash = createHash('sha256');
  let n = 0;
  for (const chunk of mediaChunks(recording, format, key)) {
    hash.update(chunk);
    if (++n % 64 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
  }
  const result = {
    size: recording.sizeBytes,
    sha256: hash.digest('hex'),
    contentType: contentTypeFor(recording, format),
  };
  expectedCache.set(cacheKey(recording, format, key), result);
  return result;
}
