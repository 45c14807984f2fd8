import type { Document, Element } from '@xmldom/xmldom';
import { decodeBase64Strict } from '../../../protocol/base64.js';
import { XadesError } from './xades-errors.js';

/** Small, strict readers over an xmldom tree, shared by the XAdES layout, parser and builder. */

/** Element children of `parent`, in order. */
export function elementChildren(parent: Element): Element[] {
  const out: Element[] = [];
  for (const node of Array.from(parent.childNodes)) if (node.nodeType === 1) out.push(node as Element);
  return out;
}

export function isElement(element: Element, namespace: string | null, localName: string): boolean {
  return element.localName === localName && (element.namespaceURI ?? null) === namespace;
}

/** The children of `parent` named so. */
export function childrenNamed(parent: Element, namespace: string | null, localName: string): Element[] {
  return elementChildren(parent).filter((e) => isElement(e, namespace, localName));
}

/** Exactly one child named so, else ERR_XADES_STRUCTURE (or the given code). */
export function onlyChild(
  parent: Element,
  namespace: string | null,
  localName: string,
  code: 'ERR_XADES_STRUCTURE' | 'ERR_SIGNED_ATTRIBUTE_INVALID' = 'ERR_XADES_STRUCTURE',
): Element {
  const found = childrenNamed(parent, namespace, localName);
  const only = found[0];
  if (found.length !== 1 || only === undefined) {
    throw new XadesError(code, `${parent.localName} has ${found.length} ${localName} (one expected)`);
  }
  return only;
}

/** At most one child named so. */
export function optionalChild(parent: Element, namespace: string | null, localName: string): Element | undefined {
  const found = childrenNamed(parent, namespace, localName);
  if (found.length > 1)
    throw new XadesError('ERR_XADES_STRUCTURE', `${parent.localName} has ${found.length} ${localName}`);
  return found[0];
}

/** The element's text: only text and CDATA children, no element among them. */
export function textOf(element: Element): string {
  let text = '';
  for (const node of Array.from(element.childNodes)) {
    if (node.nodeType === 1) throw new XadesError('ERR_XADES_STRUCTURE', `${element.localName} holds an element`);
    if (node.nodeType === 3 || node.nodeType === 4) text += node.nodeValue ?? '';
  }
  return text;
}

/**
 * Base64 content (XML-DSig allows white space inside), canonical once the white space is gone (the
 * protocol's strict decoder: no stray bits, padding only at the end), bounded; else `code`.
 */
export function base64Of(element: Element, maxBytes: number, code: XadesError['code']): Uint8Array {
  const text = textOf(element).replace(/[ \t\r\n]/g, '');
  const bytes = text.length === 0 || (text.length / 4) * 3 > maxBytes + 2 ? undefined : decodeBase64Strict(text);
  if (bytes === undefined || bytes.length > maxBytes) {
    throw new XadesError(code, `${element.localName} is not base64 of at most ${maxBytes} bytes`);
  }
  return bytes;
}

/** The ID attributes of the layout: `id` (the e-prescription's own elements) and `Id` (XML-DSig, XAdES). */
const ID_ATTRIBUTES = ['id', 'Id', 'ID'] as const;

/**
 * Every ID in the document, each naming exactly one element: a second element with an ID already
 * seen (under any of the ID attribute names) is refused, so a reference can never be resolved to a
 * decoy placed elsewhere.
 */
export function indexIds(doc: Document): ReadonlyMap<string, Element> {
  const ids = new Map<string, Element>();
  const all = doc.getElementsByTagName('*');
  for (let i = 0; i < all.length; i++) {
    const element = all.item(i);
    if (element === null) continue;
    for (const name of ID_ATTRIBUTES) {
      const value = element.getAttributeNode(name)?.value;
      if (value === undefined) continue;
      if (ids.has(value))
        throw new XadesError('ERR_XADES_DUPLICATE_ID', `the ID '${value.slice(0, 64)}' is used twice`);
      ids.set(value, element);
    }
  }
  return ids;
}

/** The element a same-document reference `#id` names, or ERR_XADES_REFERENCE. */
export function resolveReference(ids: ReadonlyMap<string, Element>, uri: string | null): Element {
  if (uri === null || !uri.startsWith('#') || uri.length < 2) {
    throw new XadesError('ERR_XADES_REFERENCE', 'a reference that is not a same-document #id');
  }
  const target = ids.get(uri.slice(1));
  if (target === undefined) throw new XadesError('ERR_XADES_REFERENCE', `no element has the ID ${uri.slice(0, 64)}`);
  return target;
}
