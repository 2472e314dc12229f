import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StateFileError } from '../src/errors.js';
import {
  formatCursorLine,
  formatCursorTimestamp,
  parseCursorText,
  parseCursorTimestamp,
} from '../src/state/cursor-file.js';
import { comparePositions } from '../src/state/position.js';
import { parseCursorTime } from '../src/cli/operator/cursor.js';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const ID = '6f0c2a4e-1b1d-4c55-9a2b-0c3f2b1d9e77';
const parse = (text: string | Buffer) => parseCursorText(text, '/x/p_s.cursor', NOW);

describe('cursor file format', () => {
  it('parses the documented line', () => {
    const parsed = parse(`${ID};2024.05.01 10:00:00.123`);
    assert.equal(parsed.position.conversationId, ID);
    assert.equal(parsed.position.startMs, Date.parse('2024-05-01T10:00:00.123Z'));
    assert.equal(parsed.ignoredId, undefined);
  });

  it('accepts an empty id', () => {
    assert.deepEqual(parse(';2023.02.02 07:00:00.000').position, {
      startMs: Date.parse('2023-02-02T07:00:00Z'),
      conversationId: '',
    });
  });

  it('accepts a trailing newline, CRLF and a UTF-8 BOM (Notepad)', () => {
    const expected = parse(`${ID};2024.05.01 10:00:00.123`).position;
    for (const text of [
      `${ID};2024.05.01 10:00:00.123\n`,
      `${ID};2024.05.01 10:00:00.123\r\n`,
      `\uFEFF${ID};2024.05.01 10:00:00.123\r\n`,
    ]) {
      assert.deepEqual(parse(text).position, expected);
    }
    assert.deepEqual(
      parse(
        Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`${ID};2024.05.01 10:00:00.123\r\n`)]),
      ).position,
      expected,
    );
  });

  it("reads the commercial product's non-UUID id as empty, with a note", () => {
    const parsed = parse(
      'c84f2f698fc9d64d64ed161d87b00c25_I_251182078220051266_19d0243a-9fd0-11d1-ac11-13453884b96c;2023.02.02 07:00:00.000',
    );
    assert.equal(parsed.position.conversationId, '');
    assert.ok(parsed.ignoredId !== undefined);
  });

  it('reads an id that is not exactly a UUID (here with a leading space) as empty, with a note', () => {
    const parsed = parse(` ${ID};2024.05.01 10:00:00.123`);
    assert.equal(parsed.position.conversationId, '');
    assert.equal(parsed.ignoredId, ` ${ID}`);
  });

  it('normalises an upper-case UUID to lower case', () => {
    assert.equal(parse(`${ID.toUpperCase()};2024.05.01 10:00:00.123`).position.conversationId, ID);
  });

  const malformed: [string, string][] = [
    ['empty', ''],
    ['only newline', '\n'],
    ['no separator', `${ID} 2024.05.01 10:00:00.123`],
    ['ISO instead of cursor format', `${ID};2024-05-01T10:00:00.123Z`],
    ['missing milliseconds', `${ID};2024.05.01 10:00:00`],
    ['two-digit milliseconds', `${ID};2024.05.01 10:00:00.12`],
    ['slashes', `${ID};2024/05/01 10:00:00.123`],
    ['month 13', `${ID};2024.13.01 10:00:00.123`],
    ['February 30', `${ID};2024.02.30 10:00:00.123`],
    ['hour 24', `${ID};2024.05.01 24:00:00.000`],
    ['minute 60', `${ID};2024.05.01 10:60:00.000`],
    ['trailing space', `${ID};2024.05.01 10:00:00.123 `],
    ['two lines', `${ID};2024.05.01 10:00:00.123\n${ID};2024.05.02 10:00:00.123`],
    ['two trailing newlines', `${ID};2024.05.01 10:00:00.123\n\n`],
    ['lone CR', `${ID};2024.05.01 10:00:00.123\r`],
    ['timezone suffix', `${ID};2024.05.01 10:00:00.123Z`],
    ['garbage', 'hello world'],
    ['NaN-like', `${ID};NaN`],
    ['future beyond 5 minutes', `${ID};2026.06.01 12:06:00.000`],
    ['far future', `;2099.01.01 00:00:00.000`],
    ['before 1970', `;1969.12.31 23:59:59.999`],
    ['UTF-16 text', Buffer.from(`${ID};2024.05.01 10:00:00.123`, 'utf16le').toString('latin1')],
    ['NUL byte', `${ID};2024.05.01 10:00:00.123\u0000`],
  ];
  for (const [title, text] of malformed) {
    it(`refuses ${title}, naming the file and the expected format`, () => {
      assert.throws(
        () => parse(text),
        (error: unknown) => {
          assert.ok(error instanceof StateFileError);
          assert.equal(error.exitCode, 2);
          assert.match(error.message, /\/x\/p_s\.cursor/);
          assert.match(error.message, /yyyy\.MM\.dd HH:mm:ss\.SSS/);
          return true;
        },
      );
    });
  }

  it('accepts a timestamp up to 5 minutes ahead of the clock', () => {
    assert.equal(parse(';2026.06.01 12:04:59.000').position.startMs, Date.parse('2026-06-01T12:04:59Z'));
  });

  it('round-trips every millisecond formatting', () => {
    for (const ms of [
      0,
      1,
      999,
      Date.parse('2024-02-29T23:59:59.999Z'),
      Date.parse('2000-01-01T00:00:00.010Z'),
      NOW,
    ]) {
      assert.equal(parseCursorTimestamp(formatCursorTimestamp(ms)), ms);
      assert.equal(parse(formatCursorLine({ startMs: ms, conversationId: ID })).position.startMs, ms);
    }
  });

  it('orders positions by time, then id, with the empty id first', () => {
    const t = 1000;
    assert.ok(comparePositions({ startMs: t, conversationId: '' }, { startMs: t, conversationId: ID }) < 0);
    assert.ok(comparePositions({ startMs: t, conversationId: 'a' }, { startMs: t, conversationId: 'b' }) < 0);
    assert.ok(
      comparePositions({ startMs: t + 1, conversationId: '' }, { startMs: t, conversationId: 'f' }) > 0,
    );
    assert.equal(comparePositions({ startMs: t, conversationId: ID }, { startMs: t, conversationId: ID }), 0);
  });
});

describe('cursor set TIME', () => {
  it('reads ISO-8601 with an offset or Z as given', () => {
    assert.equal(
      parseCursorTime('2024-05-01T10:00:00Z', 'Europe/Dublin'),
      Date.parse('2024-05-01T10:00:00Z'),
    );
    assert.equal(
      parseCursorTime('2024-05-01T10:00:00+02:00', 'Europe/Dublin'),
      Date.parse('2024-05-01T08:00:00Z'),
    );
  });
  it('reads ISO-8601 without an offset in the configured timezone', () => {
    assert.equal(parseCursorTime('2024-05-01T10:00:00', 'Europe/Dublin'), Date.parse('2024-05-01T09:00:00Z'));
    assert.equal(parseCursorTime('2024-01-15T10:00', 'America/New_York'), Date.parse('2024-01-15T15:00:00Z'));
  });
  it("reads the cursor file's own format as UTC", () => {
    assert.equal(
      parseCursorTime('2024.05.01 10:00:00.123', 'Europe/Dublin'),
      Date.parse('2024-05-01T10:00:00.123Z'),
    );
  });
  it('refuses anything else with exit 2', () => {
    for (const bad of ['yesterday', '2024-13-01', '01/05/2024', '']) {
      assert.throws(
        () => parseCursorTime(bad, 'UTC'),
        (e: unknown) => (e as StateFileError).exitCode === 2,
      );
    }
  });
});
