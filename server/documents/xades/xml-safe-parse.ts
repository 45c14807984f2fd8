import { DOMParser, type Document, type Element, type Node } from '@xmldom/xmldom';
import { XadesError } from './xades-errors.js';

/**
 * The only way XML enters the XAdES module (docs/signing.md, "XAdES"): bytes are bounded, decoded as
 * strict UTF-8, refused outright when they declare a document type or an entity (so no DTD, no
 * external entity, no entity expansion ever reaches the parser), counted for what makes the parser
 * slow, parsed by xmldom with every warning and error treated as fatal, then walked once, without recursion, against bounds on depth, elements
 * and attributes. Node types an e-prescription never has inside its root (processing instructions,
 * entity references) are refused.
 */

export interface XmlLimits {
  maxBytes: number;
  maxDepth: number;
  maxElements: number;
  maxAttributesPerElement: number;
  maxAttributes: number;
  /** Entity and character references (`&…;`) in the whole text. */
  maxReferences: number;
  /** Parsing and verifying one document stops with ERR_XML_LIMIT after this long. */
  maxMilliseconds: number;
}

export const DEFAULT_XML_LIMITS: Readonly<XmlLimits> = {
  maxBytes: 2 * 1024 * 1024,
  maxDepth: 48,
  maxElements: 5_000,
  maxAttributesPerElement: 32,
  maxAttributes: 5_000,
  maxReferences: 10_000,
  maxMilliseconds: 2_000,
};

/** A time budget for one document: checked between steps, since a parse cannot be interrupted. */
export interface Deadline {
  check(step: string): void;
}

export function startDeadline(limits: XmlLimits, now: () => number = performance.now.bind(performance)): Deadline {
  const end = now() + limits.maxMilliseconds;
  return {
    check(step) {
      if (now() > end) throw new XadesError('ERR_XML_LIMIT', `over ${limits.maxMilliseconds} ms (at ${step})`);
    },
  };
}

/** Characters XML 1.0 does not allow, even as character references. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused.
const FORBIDDEN_CHARACTERS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;
/** `<!DOCTYPE`, `<!ENTITY` (and any other markup declaration), whatever the case. */
const MARKUP_DECLARATION = /<!\s*(?:doctype|entity|element|attlist|notation)/i;
const ENCODING_DECLARATION = /^<\?xml[^>]*\bencoding\s*=\s*["']([^"']*)["']/;

function decodeUtf8(bytes: Uint8Array, limits: XmlLimits): string {
  if (bytes.length > limits.maxBytes) {
    throw new XadesError('ERR_XML_TOO_LARGE', `${bytes.length} bytes; at most ${limits.maxBytes}`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new XadesError('ERR_XML_ENCODING', 'not UTF-8');
  }
  const declared = ENCODING_DECLARATION.exec(text)?.[1];
  if (declared !== undefined && declared.toUpperCase() !== 'UTF-8') {
    throw new XadesError('ERR_XML_ENCODING', `declares encoding ${declared.slice(0, 20)}; only UTF-8 is read`);
  }
  if (MARKUP_DECLARATION.test(text)) throw new XadesError('ERR_XML_DTD', 'a document type or entity declaration');
  if (FORBIDDEN_CHARACTERS.test(text)) throw new XadesError('ERR_XML_MALFORMED', 'a character XML does not allow');
  return text;
}

const LESS_THAN = 0x3c;
const AMPERSAND = 0x26;
const EQUALS = 0x3d;

/**
 * Counts, before parsing, what makes xmldom slow (it takes seconds on 2 MiB of empty elements, deep
 * nesting or attributes): markup openings, `=` (an upper bound on attributes) and references. Each
 * element needs one or two `<`, each attribute one `=`; base64 padding adds at most two `=` per value.
 */
function prescan(text: string, limits: XmlLimits): void {
  let markup = 0;
  let equals = 0;
  let references = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === LESS_THAN) markup++;
    else if (c === EQUALS) equals++;
    else if (c === AMPERSAND) references++;
  }
  if (markup > 2 * limits.maxElements + 64)
    throw new XadesError('ERR_XML_LIMIT', `over ${limits.maxElements} elements`);
  if (equals > 2 * limits.maxAttributes + 64) throw new XadesError('ERR_XML_LIMIT', 'too many attributes');
  if (references > limits.maxReferences)
    throw new XadesError('ERR_XML_LIMIT', `over ${limits.maxReferences} references`);
}

function parseText(text: string): Document {
  let problem: string | undefined;
  let doc: Document | undefined;
  try {
    doc = new DOMParser({
      onError: (level, message) => {
        problem ??= `${level}: ${String(message).split('\n')[0]}`;
        throw new XadesError('ERR_XML_MALFORMED', problem);
      },
    }).parseFromString(text, 'application/xml');
  } catch (err) {
    if (err instanceof XadesError) throw err;
    throw new XadesError(
      'ERR_XML_MALFORMED',
      problem ?? (err instanceof Error ? (err.message.split('\n')[0] ?? 'parse') : 'parse'),
    );
  }
  if (problem !== undefined || doc.documentElement === null) {
    throw new XadesError('ERR_XML_MALFORMED', problem ?? 'no root element');
  }
  return doc;
}

const ELEMENT = 1;
const ATTRIBUTE_TEXT = new Set([3, 4, 8]); // text, CDATA, comment

function checkNode(node: Node, depth: number, counts: { elements: number; attributes: number }, limits: XmlLimits) {
  if (node.nodeType !== ELEMENT) {
    if (!ATTRIBUTE_TEXT.has(node.nodeType))
      throw new XadesError('ERR_XML_MALFORMED', `a node of type ${node.nodeType}`);
    if (FORBIDDEN_CHARACTERS.test(node.nodeValue ?? '')) {
      throw new XadesError('ERR_XML_MALFORMED', 'a character XML does not allow');
    }
    return;
  }
  const element = node as Element;
  counts.elements += 1;
  counts.attributes += element.attributes.length;
  if (depth > limits.maxDepth) throw new XadesError('ERR_XML_LIMIT', `deeper than ${limits.maxDepth} elements`);
  if (counts.elements > limits.maxElements)
    throw new XadesError('ERR_XML_LIMIT', `over ${limits.maxElements} elements`);
  if (element.attributes.length > limits.maxAttributesPerElement || counts.attributes > limits.maxAttributes) {
    throw new XadesError('ERR_XML_LIMIT', 'too many attributes');
  }
  for (const attribute of Array.from(element.attributes)) {
    if (FORBIDDEN_CHARACTERS.test(attribute.value)) {
      throw new XadesError('ERR_XML_MALFORMED', 'a character XML does not allow');
    }
  }
}

/** Walks the tree under the root iteratively (no recursion: depth cannot overflow the stack). */
function checkTree(root: Element, limits: XmlLimits): void {
  const counts = { elements: 0, attributes: 0 };
  const stack: Array<{ node: Node; depth: number }> = [{ node: root, depth: 1 }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    checkNode(item.node, item.depth, counts, limits);
    const children = item.node.childNodes;
    for (let i = children.length - 1; i >= 0; i--) {
      const child = children[i];
      if (child !== undefined && child !== null) stack.push({ node: child, depth: item.depth + 1 });
    }
  }
}

/** Outside the root only the XML declaration, comments and white space are allowed. */
function checkProlog(doc: Document): void {
  for (const node of Array.from(doc.childNodes)) {
    if (node.nodeType === ELEMENT || node.nodeType === 8) continue;
    if (node.nodeType === 7 && node.nodeName === 'xml') continue;
    if (node.nodeType === 3 && (node.nodeValue ?? '').trim() === '') continue;
    throw new XadesError('ERR_XML_MALFORMED', `a node of type ${node.nodeType} outside the root element`);
  }
}

/** Parses `bytes` under `limits`; every refusal is a XadesError with an ERR_XML_* code. */
export function parseXmlSafely(bytes: Uint8Array, limits: XmlLimits, deadline: Deadline): Document {
  const text = decodeUtf8(bytes, limits);
  prescan(text, limits);
  const doc = parseText(text);
  deadline.check('parse');
  checkProlog(doc);
  checkTree(doc.documentElement as Element, limits);
  deadline.check('tree');
  return doc;
}
