import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  buildArchivedCdrXml,
  buildRetryCdrXml,
  CdrInvalidError,
  parseCdrXml,
  type ArchivedCdr,
  type RetryCdr,
} from '../src/archive/cdr.js';

const conversationId = '6f0c2a4e-1b1d-4c55-9a2b-0c3f2b1d9e77';
const recordingId = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';

function sample(): ArchivedCdr {
  return {
    conversationId,
    recordingId,
    conversationStart: '2024-05-01T10:00:00.123Z',
    conversationEnd: '2024-05-01T10:05:00.000Z',
    localStart: { value: '2024-05-01T11:00:00.123+01:00', timezone: 'Europe/Dublin' },
    direction: 'inbound',
    ani: 'tel:+35312345678',
    dnis: 'tel:+35387654321',
    durationMs: 299_877,
    participants: [
      { purpose: 'customer' },
      {
        purpose: 'agent',
        userId: '11111111-2222-4333-8444-555555555555',
        name: 'Áine O\'Brien & "Co" <sales>',
        email: 'aine@example.com',
        department: 'Sales\tEMEA',
        title: 'true',
      },
    ],
    queues: [
      { id: '22222222-2222-4333-8444-555555555555', name: 'Sales & "Support" <EMEA>' },
      // A queue whose name could not be looked up: the id alone.
      { id: '55555555-2222-4333-8444-555555555555' },
    ],
    divisionIds: ['33333333-2222-4333-8444-555555555555', '44444444-2222-4333-8444-555555555555'],
    wrapUpCodes: [
      { id: 'ININ-WRAP-UP-TIMEOUT' },
      { id: '66666666-2222-4333-8444-555555555555', name: 'Callback requested' },
    ],
    recording: {
      mediaSubtype: 'Trunk',
      sessionId: 'sess-1',
      startTime: '2024-05-01T10:00:01.000Z',
      endTime: '2024-05-01T10:04:59.000Z',
      outputDurationMs: 298_000,
    },
    media: [
      {
        codec: 'ORIGINAL',
        contentType: 'audio/ogg',
        file: `${recordingId}_0.ogg`,
        sizeBytes: 123_456,
        sha256: 'ab'.repeat(32),
        key: '0',
      },
      {
        codec: 'ORIGINAL',
        contentType: 'audio/ogg',
        file: `${recordingId}_1.ogg`,
        sizeBytes: 0,
        sha256: 'cd'.repeat(32),
        key: '1',
      },
    ],
    importSource: {
      name: 'Dublin contact centre',
      policyId: 'policy-1',
      importSourceId: 'src_1',
      toolVersion: '1.2.3',
      host: 'archiver-01.example.com',
    },
    ingestedAt: '2024-05-01T12:00:00.000Z',
    deleteRequested: { at: '2024-05-01T12:00:05.000Z', deleteDate: '2024-05-02T12:00:05.000Z' },
  };
}

describe('CDR XML round trip', () => {
  it('parses what it builds, exactly', () => {
    const cdr = sample();
    const xml = buildArchivedCdrXml(cdr);
    assert.deepEqual(parseCdrXml(xml), { kind: 'archived', cdr });
    assert.deepEqual(parseCdrXml(Buffer.from(xml, 'utf8')), { kind: 'archived', cdr });
  });

  it('writes the element and attribute names of SPEC §3.5', () => {
    const xml = buildArchivedCdrXml(sample());
    assert.match(xml, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<cdr version="1">/);
    assert.match(xml, /<localStart timezone="Europe\/Dublin">2024-05-01T11:00:00\.123\+01:00<\/localStart>/);
    assert.match(xml, /<participants>\s*<participant purpose="customer"\/>/);
    assert.match(
      xml,
      /<queues>\s*<queue id="22222222-[^"]+" name="Sales &amp; &quot;Support&quot; &lt;EMEA&gt;"\/>\s*<queue id="55555555-[^"]+"\/>/,
    );
    assert.match(xml, /<divisionIds>\s*<divisionId>33333333-/);
    assert.match(
      xml,
      /<wrapUpCodes>\s*<wrapUpCode id="ININ-WRAP-UP-TIMEOUT"\/>\s*<wrapUpCode id="66666666-[^"]+" name="Callback requested"\/>/,
    );
    assert.match(
      xml,
      /<recording mediaSubtype="Trunk" sessionId="sess-1" startTime="[^"]+" endTime="[^"]+" outputDurationMs="298000"\/>/,
    );
    assert.match(
      xml,
      /<media codec="ORIGINAL" contentType="audio\/ogg" file="[^"]+_0\.ogg" sizeBytes="123456" sha256="(ab){32}" key="0"\/>/,
    );
    assert.match(
      xml,
      /<importSource name="Dublin contact centre" policyId="policy-1" importSourceId="src_1" toolVersion="1\.2\.3" host="archiver-01\.example\.com"\/>/,
    );
    assert.match(xml, /<deleteRequested at="[^"]+" deleteDate="[^"]+"\/>/);
    assert.match(xml, /title="true"/, 'an attribute valued "true" keeps its value');
    assert.doesNotMatch(xml, /<retry/);
  });

  it('round-trips minimal CDRs with empty lists and absent optional fields', () => {
    const cdr: ArchivedCdr = {
      ...sample(),
      participants: [],
      queues: [],
      divisionIds: [],
      wrapUpCodes: [],
      recording: {},
    };
    delete cdr.direction;
    delete cdr.ani;
    delete cdr.dnis;
    delete cdr.deleteRequested;
    cdr.media = [
      {
        codec: 'WAV',
        contentType: 'audio/wav',
        file: `${recordingId}.wav`,
        sizeBytes: 1,
        sha256: 'e'.repeat(64),
      },
    ];
    assert.deepEqual(parseCdrXml(buildArchivedCdrXml(cdr)), { kind: 'archived', cdr });
  });

  it('reads CDRs written before queue names, tool version and host existed', () => {
    const cdr = sample();
    cdr.queues = [{ id: '22222222-2222-4333-8444-555555555555' }];
    cdr.wrapUpCodes = [{ id: 'ININ-WRAP-UP-TIMEOUT' }];
    cdr.importSource = { name: 'Dublin contact centre', policyId: 'policy-1', importSourceId: 'src_1' };
    const xml = buildArchivedCdrXml(cdr);
    assert.match(xml, /<queue id="22222222-2222-4333-8444-555555555555"\/>/);
    assert.match(
      xml,
      /<importSource name="Dublin contact centre" policyId="policy-1" importSourceId="src_1"\/>/,
    );
    assert.deepEqual(parseCdrXml(xml), { kind: 'archived', cdr });
  });

  it('refuses an empty queue or wrap-up code name, and unknown attributes on them', () => {
    assert.throws(
      () =>
        buildArchivedCdrXml({
          ...sample(),
          queues: [{ id: '22222222-2222-4333-8444-555555555555', name: '' }],
        }),
      /queues\[0\] name/,
    );
    const xml = buildArchivedCdrXml(sample()).replace(
      '<wrapUpCode id="ININ',
      '<wrapUpCode label="x" id="ININ',
    );
    assert.throws(() => parseCdrXml(xml), /unknown attribute "label"/);
  });

  it('keeps line breaks, tabs, quotes and markup characters in values', () => {
    const cdr = sample();
    cdr.participants = [{ purpose: 'agent', name: 'line1\nline2\r\n\ttab "q" \'a\' <b> & &amp;' }];
    cdr.ani = ' spaced\r\n ';
    assert.deepEqual(parseCdrXml(buildArchivedCdrXml(cdr)), { kind: 'archived', cdr });
  });

  it('round-trips retry entries, with and without failure information', () => {
    const bare: RetryCdr = { conversationId };
    assert.deepEqual(parseCdrXml(buildRetryCdrXml(bare)), { kind: 'retry', entry: bare });
    const full: RetryCdr = {
      conversationId,
      recordingId,
      conversationStart: '2024-05-01T10:00:00.123Z',
      retry: {
        attempts: 3,
        firstFailedAt: '2024-05-01T10:30:00.000Z',
        lastFailedAt: '2024-05-02T10:30:00.000Z',
        lastError: 'mediaRefused: 403 from https://media.example.com/x.ogg',
      },
    };
    assert.deepEqual(parseCdrXml(buildRetryCdrXml(full)), { kind: 'retry', entry: full });
  });

  it('refuses to build a CDR it could not read back', () => {
    assert.throws(
      () => buildArchivedCdrXml({ ...sample(), conversationStart: '2024-05-01T11:00:00+01:00' }),
      CdrInvalidError,
    );
    assert.throws(() => buildArchivedCdrXml({ ...sample(), durationMs: -1 }), CdrInvalidError);
    assert.throws(() => buildArchivedCdrXml({ ...sample(), media: [] }), CdrInvalidError);
    const withRetry = {
      ...sample(),
      retry: { attempts: 1, firstFailedAt: '', lastFailedAt: '', lastError: '' },
    };
    assert.throws(() => buildArchivedCdrXml(withRetry), /never carries retry/);
    assert.throws(() => buildRetryCdrXml({ conversationId: 'nope' }), CdrInvalidError);
  });

  it('replaces characters XML cannot carry instead of writing an unreadable file', () => {
    const cdr = sample();
    cdr.participants = [{ purpose: 'agent', name: 'bell\u0007' }];
    const parsed = parseCdrXml(buildArchivedCdrXml(cdr));
    assert.equal(parsed.kind === 'archived' && parsed.cdr.participants[0]?.name, 'bell\uFFFD');
  });
});
