/**
 * Where a reconcile's rows go as they are decided (SPEC §8.1), so memory stays flat: the JSON
 * document, written to `reports/<p_s>/<yyyyMMddTHHmmssZ>-reconcile.json` (rows first, `counts` and
 * `ok` last, as a run report writes its summary last), and the `--csv` file. Both are temporary
 * files until `commit()`, then renamed into place (0600); `abort()` removes them.
 */
import { openAtomic, type AtomicFile } from '../util/atomic.js';
import type { ReconcileStatus } from './reconcile-status.js';

export interface ReconcileRow {
  conversationId: string;
  /** UTC ISO-8601, or '' when Genesys gave none that can be read. */
  conversationStart: string;
  status: ReconcileStatus;
  recordingIds: string[];
  detail: string;
}

const FLUSH_BYTES = 64 * 1024;

/** Appends text through a buffer: one write per 64 KiB, not one per row. */
class BufferedFile {
  private pending: string[] = [];
  private size = 0;

  private constructor(readonly file: AtomicFile) {}

  static async open(finalPath: string): Promise<BufferedFile> {
    return new BufferedFile(await openAtomic(finalPath));
  }

  async write(text: string): Promise<void> {
    this.pending.push(text);
    this.size += text.length;
    if (this.size >= FLUSH_BYTES) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const chunk = Buffer.from(this.pending.join(''), 'utf8');
    this.pending = [];
    this.size = 0;
    await this.file.write(chunk);
  }

  async commit(): Promise<void> {
    await this.flush();
    await this.file.commit();
  }
}

export class ReconcileJson {
  private rows = 0;
  private constructor(private readonly out: BufferedFile) {}

  static async open(file: string, header: Record<string, unknown>): Promise<ReconcileJson> {
    const out = await BufferedFile.open(file);
    const head = JSON.stringify(header);
    await out.write(`${head.slice(0, -1)}${head === '{}' ? '' : ','}\n"conversations": [`);
    return new ReconcileJson(out);
  }

  get path(): string {
    return this.out.file.finalPath;
  }

  async row(row: ReconcileRow): Promise<void> {
    await this.out.write(`${this.rows === 0 ? '\n' : ',\n'}${JSON.stringify(row)}`);
    this.rows += 1;
  }

  async commit(
    summary: { counts: Record<ReconcileStatus, number>; ok: boolean } & Record<string, unknown>,
  ): Promise<void> {
    const tail = JSON.stringify(summary);
    await this.out.write(`${this.rows === 0 ? '' : '\n'}],\n${tail.slice(1)}\n`);
    await this.out.commit();
  }

  abort(): Promise<void> {
    return this.out.file.abort();
  }
}

export const CSV_COLUMNS = [
  'conversationId',
  'conversationStart',
  'status',
  'recordingIds',
  'detail',
] as const;

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, a quote, a line break or edge spaces. A
 * field a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR first: only an invalid id
 * from Genesys can start so) gets a leading `'`, so opening the audit file runs nothing.
 */
export function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]|^\s|\s$/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function csvLine(row: ReconcileRow): string {
  return `${[row.conversationId, row.conversationStart, row.status, row.recordingIds.join(' '), row.detail]
    .map(csvField)
    .join(',')}\r\n`;
}

export class ReconcileCsv {
  private constructor(private readonly out: BufferedFile) {}

  static async open(file: string): Promise<ReconcileCsv> {
    const out = await BufferedFile.open(file);
    await out.write(`${CSV_COLUMNS.join(',')}\r\n`);
    return new ReconcileCsv(out);
  }

  row(row: ReconcileRow): Promise<void> {
    return this.out.write(csvLine(row));
  }

  commit(): Promise<void> {
    return this.out.commit();
  }

  abort(): Promise<void> {
    return this.out.file.abort();
  }
}
