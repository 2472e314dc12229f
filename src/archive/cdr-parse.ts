/**
 * Reads a parsed XML tree into a typed CDR. Only known elements and attributes are accepted, each at
 * most once (lists excepted); values are read from own properties only and collected into fresh
 * objects, so nothing in a planted file can reach a prototype or smuggle in an unchecked field.
 */
import {
  checkCdrFields,
  invalid,
  show,
  type ArchivedCdr,
  type CdrImportSource,
  type CdrMedia,
  type CdrNamedId,
  type CdrParticipant,
  type CdrRecording,
  type ParsedCdr,
  type RetryCdr,
  type RetryInfo,
} from './cdr-model.js';
import { ATTR, TEXT, decodeXmlText } from './cdr-xml.js';

interface Element {
  attrs: Map<string, string>;
  text: string | undefined;
  children: Map<string, unknown>;
}

/** Top-level children of `<cdr>`; `media` repeats, the others occur at most once. */
const ROOT_CHILDREN = [
  'conversationId',
  'recordingId',
  'conversationStart',
  'conversationEnd',
  'localStart',
  'direction',
  'ani',
  'dnis',
  'durationMs',
  'participants',
  'queues',
  'divisionIds',
  'wrapUpCodes',
  'recording',
  'media',
  'importSource',
  'ingestedAt',
  'deleteRequested',
  'retry',
] as const;

/**
 * Splits one element node into attributes, text and children, refusing anything not allowed.
 * The parser gives a string for an element with text only (or nothing), an object otherwise.
 */
function readElement(
  node: unknown,
  where: string,
  allowed: { attrs?: readonly string[]; children?: readonly string[]; text?: boolean },
): Element {
  const element: Element = { attrs: new Map(), text: undefined, children: new Map() };
  if (Array.isArray(node)) invalid(`<${where}> occurs more than once`);
  if (typeof node === 'string') {
    if (allowed.text === true) element.text = decodeXmlText(node, `<${where}>`);
    else if (node.trim() !== '') invalid(`<${where}> must not contain text`);
    return element;
  }
  if (typeof node !== 'object' || node === null) invalid(`<${where}> is malformed`);
  for (const key of Object.keys(node)) {
    const value: unknown = (node as Record<string, unknown>)[key];
    if (key === TEXT) {
      if (typeof value !== 'string') invalid(`<${where}> is malformed`);
      if (allowed.text === true) element.text = decodeXmlText(value, `<${where}>`);
      else if (value.trim() !== '') invalid(`<${where}> must not contain text`);
    } else if (key.startsWith(ATTR)) {
      const name = key.slice(ATTR.length);
      if (!(allowed.attrs ?? []).includes(name)) invalid(`<${where}> has an unknown attribute ${show(name)}`);
      if (typeof value !== 'string') invalid(`<${where}> attribute ${name} is malformed`);
      element.attrs.set(name, decodeXmlText(value, `<${where}> attribute ${name}`));
    } else {
      if (!(allowed.children ?? []).includes(key))
        invalid(`<${where}> has an unknown element <${show(key)}>`);
      element.children.set(key, value);
    }
  }
  return element;
}

/** The text of a text-only element. */
function textOf(node: unknown, where: string): string {
  return readElement(node, where, { text: true }).text ?? '';
}

/** A non-negative integer written in plain decimal digits. */
function countOf(text: string, where: string): number {
  if (!/^(0|[1-9][0-9]{0,15})$/.test(text) || !Number.isSafeInteger(Number(text))) {
    invalid(`${where} is not a non-negative integer: ${show(text)}`);
  }
  return Number(text);
}

/** Copies the listed attributes that are present into a fresh object. */
function pick<K extends string>(element: Element, keys: readonly K[]): Partial<Record<K, string>> {
  const out: Partial<Record<K, string>> = {};
  for (const key of keys) {
    const value = element.attrs.get(key);
    if (value !== undefined) out[key] = value;
  }
  return out;
}

function need(element: Element, name: string, where: string): string {
  return element.attrs.get(name) ?? invalid(`<${where}> lacks attribute ${name}`);
}

/** Items of a list container such as `<queues><queue id=".."/></queues>`. */
function listOf(node: unknown, where: string, item: string): unknown[] {
  const container = readElement(node, where, { children: [item] });
  const items = container.children.get(item);
  if (items === undefined) return [];
  if (!Array.isArray(items)) invalid(`<${where}> is malformed`);
  return items as unknown[];
}

/** A `queue` or `wrapUpCode`: its id, and its name when the CDR carries one. */
function namedIdOf(node: unknown, item: string): CdrNamedId {
  const element = readElement(node, item, { attrs: ['id', 'name'] });
  return { id: need(element, 'id', item), ...pick(element, ['name'] as const) };
}

function participantOf(node: unknown): CdrParticipant {
  const keys = ['purpose', 'userId', 'name', 'email', 'department', 'title'] as const;
  const element = readElement(node, 'participant', { attrs: keys });
  return { ...pick(element, keys), purpose: need(element, 'purpose', 'participant') };
}

function mediaOf(node: unknown): CdrMedia {
  const element = readElement(node, 'media', {
    attrs: ['codec', 'contentType', 'file', 'sizeBytes', 'sha256', 'key'],
  });
  const media: CdrMedia = {
    codec: need(element, 'codec', 'media'),
    contentType: need(element, 'contentType', 'media'),
    file: need(element, 'file', 'media'),
    sizeBytes: countOf(need(element, 'sizeBytes', 'media'), 'media sizeBytes'),
    sha256: need(element, 'sha256', 'media'),
  };
  const key = element.attrs.get('key');
  if (key !== undefined) media.key = key;
  return media;
}

function recordingOf(node: unknown): CdrRecording {
  const keys = ['mediaSubtype', 'sessionId', 'startTime', 'endTime', 'outputDurationMs'] as const;
  const element = readElement(node, 'recording', { attrs: keys });
  const { outputDurationMs, ...rest } = pick(element, keys);
  const recording: CdrRecording = { ...rest };
  if (outputDurationMs !== undefined) {
    recording.outputDurationMs = countOf(outputDurationMs, 'recording outputDurationMs');
  }
  return recording;
}

function retryOf(node: unknown): RetryInfo {
  const element = readElement(node, 'retry', {
    attrs: ['attempts', 'firstFailedAt', 'lastFailedAt', 'lastError', 'restoreRequestedAt'],
  });
  const retry: RetryInfo = {
    attempts: countOf(need(element, 'attempts', 'retry'), 'retry attempts'),
    firstFailedAt: need(element, 'firstFailedAt', 'retry'),
    lastFailedAt: need(element, 'lastFailedAt', 'retry'),
    lastError: need(element, 'lastError', 'retry'),
  };
  // Optional (SPEC §8.3); checked as a UTC time like the others by checkCdrFields.
  const restoreRequestedAt = element.attrs.get('restoreRequestedAt');
  if (restoreRequestedAt !== undefined) retry.restoreRequestedAt = restoreRequestedAt;
  return retry;
}

/**
 * Turns the parsed document into a typed CDR and checks every value. A document with `media` and
 * no `retry` is an archived CDR; otherwise it is a retry entry.
 */
export function readCdrTree(tree: Record<string, unknown>): ParsedCdr {
  let rootNode: unknown;
  for (const key of Object.keys(tree)) {
    if (key === 'cdr') rootNode = tree[key];
    else if (key === '?xml') checkDeclaration(tree[key]);
    else if (key === TEXT && typeof tree[key] === 'string' && tree[key].trim() === '') continue;
    else if (key.startsWith('?') || key === TEXT) invalid(`unexpected content at top level: ${show(key)}`);
    else invalid(`the root element is not <cdr> (found <${key.slice(0, 40)}>)`);
  }
  if (rootNode === undefined) invalid('the root element is not <cdr>');
  if (Array.isArray(rootNode)) invalid('more than one root element');
  const root = readElement(rootNode, 'cdr', { attrs: ['version'], children: ROOT_CHILDREN });
  const version = root.attrs.get('version');
  if (version === undefined) invalid('the <cdr> element has no version: write it as <cdr version="1">');
  if (version !== '1') invalid(`unsupported CDR version ${show(version)} (this version reads version="1")`);

  const cdr: Partial<ArchivedCdr> & { retry?: RetryInfo } = {};
  const child = root.children;
  const textFields = ['conversationId', 'recordingId', 'conversationStart', 'conversationEnd'] as const;
  for (const name of [...textFields, 'direction', 'ani', 'dnis', 'ingestedAt'] as const) {
    const node = child.get(name);
    if (node !== undefined) cdr[name] = textOf(node, name);
  }
  const local = child.get('localStart');
  if (local !== undefined) {
    const element = readElement(local, 'localStart', { attrs: ['timezone'], text: true });
    cdr.localStart = { value: element.text ?? '', timezone: need(element, 'timezone', 'localStart') };
  }
  const duration = child.get('durationMs');
  if (duration !== undefined) cdr.durationMs = countOf(textOf(duration, 'durationMs'), 'durationMs');
  const participants = child.get('participants');
  if (participants !== undefined)
    cdr.participants = listOf(participants, 'participants', 'participant').map(participantOf);
  const idList = (name: 'queues' | 'wrapUpCodes', item: string) => {
    const node = child.get(name);
    if (node !== undefined) cdr[name] = listOf(node, name, item).map((n) => namedIdOf(n, item));
  };
  idList('queues', 'queue');
  idList('wrapUpCodes', 'wrapUpCode');
  const divisions = child.get('divisionIds');
  if (divisions !== undefined)
    cdr.divisionIds = listOf(divisions, 'divisionIds', 'divisionId').map((n) => textOf(n, 'divisionId'));
  const recording = child.get('recording');
  if (recording !== undefined) cdr.recording = recordingOf(recording);
  const media = child.get('media');
  if (media !== undefined) {
    if (!Array.isArray(media)) invalid('<media> is malformed');
    cdr.media = (media as unknown[]).map(mediaOf);
  }
  const source = child.get('importSource');
  if (source !== undefined) {
    const element = readElement(source, 'importSource', {
      attrs: ['name', 'policyId', 'importSourceId', 'toolVersion', 'host'],
    });
    const importSource: CdrImportSource = {
      name: need(element, 'name', 'importSource'),
      policyId: need(element, 'policyId', 'importSource'),
      importSourceId: need(element, 'importSourceId', 'importSource'),
      ...pick(element, ['toolVersion', 'host'] as const),
    };
    cdr.importSource = importSource;
  }
  const deleted = child.get('deleteRequested');
  if (deleted !== undefined) {
    const element = readElement(deleted, 'deleteRequested', { attrs: ['at', 'deleteDate'] });
    cdr.deleteRequested = {
      at: need(element, 'at', 'deleteRequested'),
      deleteDate: need(element, 'deleteDate', 'deleteRequested'),
    };
  }
  const retry = child.get('retry');
  if (retry !== undefined) cdr.retry = retryOf(retry);

  if (cdr.media !== undefined && cdr.retry === undefined) {
    checkCdrFields(cdr, true);
    return { kind: 'archived', cdr: cdr as ArchivedCdr };
  }
  if (cdr.media !== undefined)
    invalid('a document with both media and retry is neither an archived CDR nor a retry entry');
  checkCdrFields(cdr, false);
  return { kind: 'retry', entry: cdr as RetryCdr };
}

function checkDeclaration(node: unknown): void {
  const element = readElement(node, '?xml', { attrs: ['version', 'encoding', 'standalone'] });
  const encoding = element.attrs.get('encoding');
  if (encoding !== undefined && encoding.toLowerCase() !== 'utf-8')
    invalid(`encoding ${show(encoding)} is not UTF-8`);
}
