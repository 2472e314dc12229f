/**
 * The XML layer of CDRs: one fast-xml-parser builder and parser configured for hostile input.
 *
 * Entity processing is off in both directions. The builder's own escaping is replaced by ours so we
 * control exactly what is written (characters XML 1.0 cannot carry become U+FFFD; tab, CR and LF in
 * attributes become character references so other XML readers do not normalise them to spaces).
 * The parser never expands anything; `decodeXmlText` then resolves only the five predefined
 * entities and numeric character references, in one pass, so nothing can expand recursively.
 */
import { XMLBuilder, XMLParser } from 'fast-xml-parser';
import { invalid } from './cdr-model.js';

/** Prefix the builder and parser use for attribute keys. */
export const ATTR = '@_';
/** Key the builder and parser use for an element's text when it also has attributes. */
export const TEXT = '#text';

/** Elements that repeat: always parsed as arrays, so one element and many look the same. */
const LIST_PATHS = new Set([
  'cdr.participants.participant',
  'cdr.queues.queue',
  'cdr.divisionIds.divisionId',
  'cdr.wrapUpCodes.wrapUpCode',
  'cdr.media',
]);

// Characters XML 1.0 cannot represent at all, plus unpaired surrogates.
const notXmlChar =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function clean(value: string): string {
  return value.replace(notXmlChar, '\uFFFD');
}

/** Escapes element text. CR is referenced because XML parsers turn a literal CR into LF. */
function escapeText(value: string): string {
  return clean(value)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\r/g, '&#13;');
}

/** Escapes an attribute value; the builder itself then escapes `"` and `'`. */
function escapeAttr(value: string): string {
  return escapeText(value).replace(/\t/g, '&#9;').replace(/\n/g, '&#10;');
}

const builder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: ATTR,
  textNodeName: TEXT,
  format: true,
  indentBy: '  ',
  suppressEmptyNode: true,
  // The default writes an attribute whose value is "true" as a bare name, which is not XML.
  suppressBooleanAttributes: false,
  processEntities: false,
  tagValueProcessor: (_name: string, value: unknown) => escapeText(String(value)),
  attributeValueProcessor: (_name: string, value: unknown) => escapeAttr(String(value)),
});

/** Serialises a builder tree (attributes under `@_` keys) into a UTF-8 XML document. */
export function buildXml(root: Record<string, unknown>): string {
  const xml = builder.build({ '?xml': { [`${ATTR}version`]: '1.0', [`${ATTR}encoding`]: 'UTF-8' }, ...root });
  return xml.endsWith('\n') ? xml : `${xml}\n`;
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: ATTR,
  textNodeName: TEXT,
  processEntities: false,
  htmlEntities: false,
  parseTagValue: false,
  parseAttributeValue: false,
  // Untrimmed, so values round-trip exactly; whitespace between elements is ignored by the reader.
  trimValues: false,
  allowBooleanAttributes: false,
  ignoreDeclaration: false,
  ignorePiTags: false,
  removeNSPrefix: false,
  maxNestedTags: 16,
  isArray: (_name: string, jPath: unknown, _leaf: boolean, isAttribute: boolean) =>
    !isAttribute && typeof jPath === 'string' && LIST_PATHS.has(jPath),
});

/**
 * Parses XML text into a plain tree, validating well-formedness first (the parser alone accepts
 * mismatched and unclosed tags). Names such as `__proto__` or `constructor` make the parser throw
 * rather than touch a prototype; either way the caller gets CdrInvalidError.
 */
export function parseXmlTree(text: string): Record<string, unknown> {
  let tree: unknown;
  try {
    // The second argument runs the well-formedness validator before parsing.
    tree = parser.parse(text, true);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    invalid(`malformed XML: ${message.split('\n')[0] ?? ''}`);
  }
  if (typeof tree !== 'object' || tree === null || Array.isArray(tree))
    invalid('malformed XML: no root element');
  return tree as Record<string, unknown>;
}

const entityRef = /&(?:(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|lt|gt|amp|quot|apos);)?/g;
const named: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/**
 * Resolves predefined entities and numeric character references in one pass. A bare `&`, any other
 * named entity (there is no DTD to define one) or a reference to a character XML forbids is invalid,
 * as is any raw character XML forbids.
 */
export function decodeXmlText(raw: string, where: string): string {
  notXmlChar.lastIndex = 0;
  if (notXmlChar.test(raw)) invalid(`${where} contains a character XML does not allow`);
  return raw.replace(entityRef, (_match, ref: string | undefined) => {
    if (ref === undefined) invalid(`${where} contains an unknown entity or a bare '&'`);
    if (!ref.startsWith('#')) return named[ref] ?? invalid(`${where} contains an unknown entity`);
    const code = ref.startsWith('#x') ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
    const allowed =
      code === 0x9 ||
      code === 0xa ||
      code === 0xd ||
      (code >= 0x20 && code <= 0xd7ff) ||
      (code >= 0xe000 && code <= 0xfffd) ||
      (code >= 0x10000 && code <= 0x10ffff);
    if (!allowed) invalid(`${where} references a character XML does not allow`);
    return String.fromCodePoint(code);
  });
}
