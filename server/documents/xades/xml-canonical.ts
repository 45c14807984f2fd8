import type { Element } from '@xmldom/xmldom';
import { C14nCanonicalization, ExclusiveCanonicalization } from 'xml-crypto';
import { XadesError } from './xades-errors.js';
import { C14N, EXC_C14N } from './xades-names.js';

/**
 * Canonical XML of one element, by xml-crypto's canonicalizers (exclusive XML c14n 1.0 and
 * inclusive c14n 1.0, without comments). Inclusive c14n of an element inside a document renders
 * the namespaces in scope from its ancestors on it: they are gathered here (nearest binding wins)
 * because the library's public helper for that selects the element with an XPath.
 */

type NamespaceBinding = { prefix: string; namespaceURI: string };

/** Namespaces declared on the ancestors of `element` and still in scope there. */
function ancestorNamespaces(element: Element): NamespaceBinding[] {
  const seen = new Map<string, string>();
  for (let node = element.parentNode; node !== null && node.nodeType === 1; node = node.parentNode) {
    for (const attribute of Array.from((node as Element).attributes)) {
      const prefix = attribute.prefix === 'xmlns' ? attribute.localName : attribute.name === 'xmlns' ? '' : undefined;
      if (prefix !== undefined && prefix !== null && !seen.has(prefix)) seen.set(prefix, attribute.value);
    }
  }
  const out: NamespaceBinding[] = [];
  for (const [prefix, namespaceURI] of seen) {
    // An undeclaration (xmlns="") is no namespace node; an unprefixed apex renders its default itself.
    if (namespaceURI === '' || (prefix === '' && !element.prefix)) continue;
    out.push({ prefix, namespaceURI });
  }
  return out;
}

// xml-crypto types its nodes with the DOM lib's; xmldom's are the same shape (it is the library's own parser).
type LibraryNode = Parameters<ExclusiveCanonicalization['process']>[0];

/** The canonical form of `element` by `algorithm` (EXC_C14N or C14N), as UTF-8 bytes. */
export function canonicalize(element: Element, algorithm: string): Uint8Array {
  let text: string;
  try {
    if (algorithm === EXC_C14N) {
      text = new ExclusiveCanonicalization().process(element as unknown as LibraryNode, {});
    } else if (algorithm === C14N) {
      text = new C14nCanonicalization().process(element as unknown as LibraryNode, {
        ancestorNamespaces: ancestorNamespaces(element),
      });
    } else {
      throw new XadesError('ERR_XADES_ALGORITHM', `canonicalization ${algorithm.slice(0, 80)} is not supported`);
    }
  } catch (err) {
    if (err instanceof XadesError) throw err;
    throw new XadesError('ERR_XML_MALFORMED', 'the element cannot be canonicalized', { cause: err });
  }
  return new TextEncoder().encode(text);
}
