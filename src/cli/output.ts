/**
 * Every byte the tool prints goes through here, so the rules live in one place: with `--json`,
 * stdout carries exactly one JSON document and human text goes to stderr; tables only on a TTY;
 * every line passes `redact()` so no secret can be printed.
 */
import { redact } from '../util/redact.js';

export interface OutputOptions {
  json: boolean;
  quiet: boolean;
  verbose: boolean;
  /** `--debug`: every HTTP request too (implies verbose). */
  requests?: boolean;
  color: boolean;
  stdout?: NodeJS.WriteStream;
  stderr?: NodeJS.WriteStream;
}

export class Output {
  readonly json: boolean;
  readonly quiet: boolean;
  readonly verbose: boolean;
  readonly requests: boolean;
  readonly color: boolean;
  private readonly out: NodeJS.WriteStream;
  private readonly err: NodeJS.WriteStream;
  private documentWritten = false;

  constructor(options: OutputOptions) {
    this.json = options.json;
    this.quiet = options.quiet;
    this.verbose = options.verbose || options.requests === true;
    this.requests = options.requests === true;
    this.color = options.color;
    this.out = options.stdout ?? process.stdout;
    this.err = options.stderr ?? process.stderr;
  }

  /** Whether human output goes to a terminal (tables, spinners) or to a pipe/log (plain lines). */
  get interactive(): boolean {
    return (
      !this.json &&
      this.humanStream.isTTY === true &&
      process.env.CI === undefined &&
      process.env.TERM !== 'dumb'
    );
  }

  /** Human results go to stdout, unless stdout is reserved for the JSON document. */
  private get humanStream(): NodeJS.WriteStream {
    return this.json ? this.err : this.out;
  }

  /** A command's human result (suppressed with --json; the JSON document carries it). */
  result(text: string): void {
    if (this.json) return;
    this.humanStream.write(`${redact(text)}\n`);
  }

  /** Progress and information for people: stderr, hidden with --quiet. */
  info(text: string): void {
    if (this.quiet) return;
    this.err.write(`${redact(text)}\n`);
  }

  /**
   * A status line rewritten in place on a terminal (stderr), for long operations; '' clears it.
   * Nothing is written when stderr is not a TTY (cron, pipes, CI) or with --quiet.
   */
  progress(text: string): void {
    if (this.quiet || this.err.isTTY !== true || process.env.CI !== undefined || process.env.TERM === 'dumb')
      return;
    this.err.write(text === '' ? '\r\u001b[K' : `\r${redact(text)}\u001b[K`);
  }

  /** Only with --verbose. */
  debug(text: string): void {
    if (this.verbose && !this.quiet) this.err.write(`${redact(text)}\n`);
  }

  /** Only with --debug: one line per HTTP request. */
  request(text: string): void {
    if (this.requests && !this.quiet) this.err.write(`${redact(text)}\n`);
  }

  /** Warnings are shown even with --quiet: they ask something of the operator. */
  warn(text: string): void {
    this.err.write(`${this.paint('warning:', 33)} ${redact(text)}\n`);
  }

  error(text: string): void {
    this.err.write(`${this.paint('error:', 31)} ${redact(text)}\n`);
  }

  /** The one JSON document of a `--json` invocation. */
  document(value: unknown): void {
    if (!this.json || this.documentWritten) return;
    this.documentWritten = true;
    this.out.write(`${redact(JSON.stringify(value, null, 2))}\n`);
  }

  /** The document was streamed to stdout by the caller (a large run report). */
  markDocumentWritten(): void {
    this.documentWritten = true;
  }

  get hasDocument(): boolean {
    return this.documentWritten;
  }

  paint(text: string, code: number): string {
    return this.color ? `\u001b[${code}m${text}\u001b[0m` : text;
  }
}

/** Renders rows as a cli-table3 table on a TTY, or as aligned plain text elsewhere. */
export async function renderTable(output: Output, head: string[], rows: string[][]): Promise<string> {
  if (output.interactive) {
    const { default: Table } = await import('cli-table3');
    const table = new Table({ head, style: output.color ? { head: ['cyan'] } : { head: [], border: [] } });
    table.push(...rows);
    return table.toString();
  }
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(head), ...rows.map(line)].join('\n');
}
