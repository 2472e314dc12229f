import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  buildArchivedCdrXml,
  CdrInvalidError,
  MAX_CDR_BYTES,
  parseCdrXml,
  readCdrFile,
  type ArchivedCdr,
} from '../src/archive/cdr.js';
import { StateFileError } from '../src/errors.js';

const conversationId = '6f0c2a4e-1b1d-4c55-9a2b-0c3f2b1d9e77';
const recordingId = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';

const cdr: ArchivedCdr = {
  conversationId,
  recordingId,
  conversationStart: '2024-05-01T10:00:00.123Z',
  conversationEnd: '2024-05-01T10:05:00.000Z',
  localStart: { value: '2024-05-01T11:00:00.123+01:00', timezone: 'Europe/Dublin' },
  durationMs: 299_877,
  participants: [{ purpose: 'agent', name: 'Ann' }],
  queues: [],
  divisionIds: [],
  wrapUpCodes: [],
  recording: { outputDurationMs: 1000 },
  media: [
    {
      codec: 'WAV',
      contentType: 'audio/wav',
      file: `${recordingId}.wav`,
      sizeBytes: 10,
      sha256: 'a'.repeat(64),
    },
  ],
  importSource: { name: 'N', policyId: 'p', importSourceId: 'i' },
  ingestedAt: '2024-05-01T12:00:00.000Z',
};
const good = buildArchivedCdrXml(cdr);

/** The valid document with one piece replaced; fails the test if the piece is not there. */
function variant(from: string | RegExp, to: string): string {
  const out = good.replace(from, to);
  assert.notEqual(out, good, `fixture does not contain ${String(from)}`);
  return out;
}

function rejects(text: string | Buffer, reason: RegExp): void {
  assert.throws(
    () => parseCdrXml(text),
    (error: unknown) => {
      assert.ok(error instanceof CdrInvalidError, `expected CdrInvalidError, got ${String(error)}`);
      assert.ok(error instanceof StateFileError);
      assert.equal(error.code, 'cdr.invalid');
      assert.match(error.message, reason);
      return true;
    },
  );
}

describe('parseCdrXml refuses hostile and broken documents', () => {
  it('accepts the unmodified fixture', () => {
    assert.equal(parseCdrXml(good).kind, 'archived');
  });

  it('refuses any DOCTYPE or ENTITY declaration, including a billion-laughs bomb', () => {
    const lol = [
      '<?xml version="1.0"?>',
      '<!DOCTYPE cdr [',
      '  <!ENTITY lol "lol">',
      ...Array.from(
        { length: 9 },
        (_, i) => `  <!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`,
      ),
      ']>',
      `<cdr version="1"><conversationId>${conversationId}</conversationId><ani>&lol9;</ani></cdr>`,
    ].join('\n');
    // Refused on the declaration itself, before any parser could expand an entity.
    rejects(lol, /DOCTYPE or ENTITY/);
    rejects(
      variant(
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<?xml version="1.0"?><!DOCTYPE cdr SYSTEM "file:///etc/passwd">',
      ),
      /DOCTYPE/,
    );
    rejects(variant('<cdr version="1">', '<cdr version="1"><!ENTITY x "y">'), /ENTITY/);
    rejects(variant('<cdr version="1">', '<!doctype cdr><cdr version="1">'), /DOCTYPE/);
  });

  it('refuses more than 1 MiB', () => {
    const big = variant('<ingestedAt>', `<!-- ${'x'.repeat(2 * MAX_CDR_BYTES)} --><ingestedAt>`);
    rejects(big, /larger than/);
    rejects(Buffer.from(big), /larger than/);
  });

  it('refuses malformed XML, wrong roots and versions', () => {
    rejects('', /malformed|root/);
    rejects('not xml at all', /malformed/);
    rejects(variant('</cdr>', ''), /malformed/);
    rejects(variant('</conversationId>', '</conversation>'), /malformed/);
    rejects(variant('<cdr version="1">', '<cdr version="1" version="1">'), /malformed/);
    rejects(good.replace(/cdr/g, 'record'), /root element is not <cdr>/);
    rejects(variant('version="1">', 'version="2">'), /version/);
    rejects(variant(' version="1">', '>'), /version/);
    rejects(`${good}<cdr version="1"/>`, /more than one root|malformed/);
    rejects(variant('encoding="UTF-8"', 'encoding="ISO-8859-1"'), /not UTF-8/);
    rejects(Buffer.concat([Buffer.from(good), Buffer.from([0xff, 0xfe])]), /UTF-8/);
  });

  it('refuses unknown, duplicated or misplaced content', () => {
    rejects(variant('<ingestedAt>', '<extra>1</extra><ingestedAt>'), /unknown element/);
    rejects(variant('purpose="agent"', 'purpose="agent" onload="x"'), /unknown attribute/);
    rejects(
      variant('<ingestedAt>', `<conversationId>${conversationId}</conversationId><ingestedAt>`),
      /more than once/,
    );
    rejects(variant('<queues/>', '<queues>text</queues>'), /must not contain text/);
  });

  it('refuses entities other than the five predefined ones, and bare ampersands', () => {
    rejects(variant('name="Ann"', 'name="&foo;"'), /unknown entity/);
    rejects(variant('name="Ann"', 'name="A & B"'), /entity or a bare/);
    rejects(variant('name="Ann"', 'name="&#0;"'), /does not allow/);
    rejects(variant('name="Ann"', 'name="&#x110000;"'), /does not allow/);
    const ok = parseCdrXml(variant('name="Ann"', 'name="&#65;&#x42;&lt;&amp;"'));
    assert.equal(ok.kind === 'archived' && ok.cdr.participants[0]?.name, 'AB<&');
  });

  it('refuses ids that are not Genesys ids', () => {
    rejects(
      variant(`<conversationId>${conversationId}`, '<conversationId>../../etc'),
      /conversationId is not a Genesys id/,
    );
    rejects(variant(`<recordingId>${recordingId}`, '<recordingId>1234'), /recordingId is not a Genesys id/);
    rejects(
      variant(`<conversationId>${conversationId}`, `<conversationId>${conversationId}/x`),
      /Genesys id/,
    );
    rejects(variant(/<conversationId>[^<]+<\/conversationId>/, ''), /conversationId is not a Genesys id/);
  });

  it('refuses timestamps that are not UTC ISO-8601', () => {
    rejects(variant('2024-05-01T10:00:00.123Z', '2024-05-01 10:00:00.123'), /conversationStart/);
    rejects(variant('2024-05-01T10:00:00.123Z', '2024-05-01T11:00:00.123+01:00'), /conversationStart/);
    rejects(variant('2024-05-01T10:00:00.123Z', '2024-02-30T10:00:00.123Z'), /conversationStart/);
    rejects(variant('2024-05-01T12:00:00.000Z', 'yesterday'), /ingestedAt/);
    rejects(variant('2024-05-01T11:00:00.123+01:00', '2024-05-01T11:00:00'), /localStart/);
  });

  it('refuses negative, fractional and non-decimal numbers', () => {
    for (const bad of ['-1', '1.5', '1e3', '0x10', '01', ' 1', '']) {
      rejects(variant('sizeBytes="10"', `sizeBytes="${bad}"`), /sizeBytes is not a non-negative integer/);
    }
    rejects(variant('<durationMs>299877', '<durationMs>-5'), /durationMs/);
    rejects(variant('outputDurationMs="1000"', 'outputDurationMs="NaN"'), /outputDurationMs/);
  });

  it('refuses a sha256 that is not 64 lowercase hex digits', () => {
    rejects(variant('a'.repeat(64), 'A'.repeat(64)), /sha256/);
    rejects(variant('a'.repeat(64), 'a'.repeat(63)), /sha256/);
    rejects(variant('a'.repeat(64), 'g'.repeat(64)), /sha256/);
  });

  it('refuses media file names that are not plain names', () => {
    for (const bad of [
      '../x.wav',
      '../../etc/passwd',
      'a/b.wav',
      'a\\b.wav',
      '..',
      '/etc/passwd',
      'x..wav',
      '.hidden',
    ]) {
      rejects(variant(`file="${recordingId}.wav"`, `file="${bad}"`), /file is not a plain file name/);
    }
    rejects(variant('codec="WAV"', 'codec="FLAC"'), /codec/);
  });

  it('refuses a document that is both archived and a retry entry', () => {
    const both = variant(
      '</cdr>',
      '<retry attempts="1" firstFailedAt="2024-05-01T12:00:00.000Z" lastFailedAt="2024-05-01T12:00:00.000Z" lastError="x"/></cdr>',
    );
    rejects(both, /both media and retry/);
  });

  it('never lets __proto__ or constructor elements pollute Object.prototype', () => {
    const payloads = [
      '<__proto__><polluted>yes</polluted></__proto__>',
      '<constructor><prototype><polluted>yes</polluted></prototype></constructor>',
      '<participants><__proto__ polluted="yes"/></participants>',
      '<recording __proto__="x" constructor="y"/>',
    ];
    for (const payload of payloads) {
      assert.throws(() => parseCdrXml(variant('<ingestedAt>', `${payload}<ingestedAt>`)), CdrInvalidError);
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
      assert.equal((Object.prototype as Record<string, unknown>).polluted, undefined);
    }
  });
});

describe('readCdrFile', () => {
  let dir: string;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cdr-hostile-'));
  });
  after(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('reads a regular file', async () => {
    const file = path.join(dir, 'good.xml');
    await fs.writeFile(file, good);
    assert.deepEqual(await readCdrFile(file), { kind: 'archived', cdr });
  });

  it('refuses a symbolic link, even to a valid CDR', async (t) => {
    const target = path.join(dir, 'target.xml');
    const link = path.join(dir, 'link.xml');
    await fs.writeFile(target, good);
    try {
      await fs.symlink(target, link);
    } catch {
      t.skip('symlinks not available');
      return;
    }
    await assert.rejects(readCdrFile(link), /symbolic link/);
  });

  it('refuses a file over 1 MiB without reading it', async () => {
    const file = path.join(dir, 'big.xml');
    await fs.writeFile(file, Buffer.alloc(2 * MAX_CDR_BYTES, 0x20));
    await assert.rejects(readCdrFile(file), (error: unknown) => {
      assert.ok(error instanceof CdrInvalidError);
      assert.match(error.message, /larger than .* \(2097152\)/);
      return true;
    });
  });

  it('refuses a folder and passes ENOENT through', async () => {
    await assert.rejects(readCdrFile(dir), /not a regular file/);
    await assert.rejects(readCdrFile(path.join(dir, 'missing.xml')), { code: 'ENOENT' });
  });
});
