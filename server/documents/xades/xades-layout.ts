import type { Document, Element } from '@xmldom/xmldom';
import { XadesError } from './xades-errors.js';
import { DS_NS } from './xades-names.js';
import { elementChildren, isElement, onlyChild } from './xml-dom.js';

/**
 * Where signatures may stand in an e-prescription (処方箋) or dispensing record (調剤結果), and which
 * element each one must sign. This is the defence against wrapping: a signature is only accepted in
 * its own container, and its document reference only counts when it resolves to exactly the element in
 * the signed position.
 *
 *   Document/Prescription/PrescriptionDocument            signed by Document/Prescription/PrescriptionSign/Signature
 *   Document/Dispensing/ReferencePrescription/PrescriptionDocument
 *                                                         signed by …/ReferencePrescription/PrescriptionSign/Signature
 *   Document/Dispensing                                   signed by Document/DispensingSign/Signature
 *
 * Each of the layout's element names occurs at most once in the whole document, so a second
 * (unsigned) PrescriptionDocument cannot be slipped in anywhere for a reader to find.
 */

export type SignerRole = 'prescription' | 'dispensing';

export interface PlacedSignature {
  signature: Element;
  /** The element the signature's document reference must resolve to. */
  signedElement: Element;
  role: SignerRole;
}

const UNIQUE_NAMES = [
  'Prescription',
  'PrescriptionDocument',
  'PrescriptionSign',
  'Dispensing',
  'DispensingDocument',
  'DispensingSign',
  'ReferencePrescription',
] as const;

const MAX_SIGNATURES = 2;

function checkUniqueNames(doc: Document): void {
  for (const name of UNIQUE_NAMES) {
    const count = doc.getElementsByTagNameNS(null, name).length;
    if (count > 1) throw new XadesError('ERR_XADES_STRUCTURE', `${count} ${name} elements (at most one)`);
  }
}

function isUnder(element: Element, ...names: string[]): boolean {
  let node: Element | null = element;
  for (const name of names) {
    const parent: Element | null = node?.parentNode?.nodeType === 1 ? (node.parentNode as Element) : null;
    if (parent === null || !isElement(parent, null, name)) return false;
    node = parent;
  }
  return node?.parentNode?.nodeType === 9;
}

/**
 * PrescriptionDocument holds the CSV's base64 as text only. A comment is not signed (c14n drops it),
 * so one inside would leave the signature valid while a reader that stops at the first text node
 * reads half a prescription: refused.
 */
function prescriptionDocumentIn(holder: Element): Element {
  const document = onlyChild(holder, null, 'PrescriptionDocument');
  if (Array.from(document.childNodes).some((n) => n.nodeType !== 3)) {
    throw new XadesError('ERR_XADES_STRUCTURE', 'PrescriptionDocument holds something other than text');
  }
  return document;
}

/** The signature in a container, with the element it signs, or ERR_XADES_STRUCTURE. */
function place(signature: Element): PlacedSignature {
  const container = signature.parentNode?.nodeType === 1 ? (signature.parentNode as Element) : undefined;
  if (container === undefined || elementChildren(container).length !== 1) {
    throw new XadesError('ERR_XADES_STRUCTURE', 'a Signature that is not alone in PrescriptionSign or DispensingSign');
  }
  const holder = container.parentNode as Element;
  if (
    isElement(container, null, 'PrescriptionSign') &&
    (isUnder(container, 'Prescription', 'Document') ||
      isUnder(container, 'ReferencePrescription', 'Dispensing', 'Document'))
  ) {
    return { signature, signedElement: prescriptionDocumentIn(holder), role: 'prescription' };
  }
  if (isElement(container, null, 'DispensingSign') && isUnder(container, 'Document')) {
    return { signature, signedElement: onlyChild(holder, null, 'Dispensing'), role: 'dispensing' };
  }
  throw new XadesError('ERR_XADES_STRUCTURE', `a Signature in ${container.localName}, which is not its place`);
}

/** Every signature of the document in document order (the doctor's before the pharmacist's), placed. */
export function locateSignatures(doc: Document): PlacedSignature[] {
  const root = doc.documentElement;
  if (root === null || !isElement(root, null, 'Document')) {
    throw new XadesError('ERR_XADES_STRUCTURE', 'the root element is not Document');
  }
  checkUniqueNames(doc);
  const signatures = Array.from(doc.getElementsByTagNameNS(DS_NS, 'Signature'));
  if (signatures.length === 0) throw new XadesError('ERR_XADES_STRUCTURE', 'no ds:Signature');
  if (signatures.length > MAX_SIGNATURES) {
    throw new XadesError('ERR_XADES_STRUCTURE', `${signatures.length} signatures (at most ${MAX_SIGNATURES})`);
  }
  const placed = signatures.map(place);
  for (const name of ['PrescriptionSign', 'DispensingSign']) {
    const containers = doc.getElementsByTagNameNS(null, name).length;
    if (containers !== placed.filter((p) => (p.signature.parentNode as Element).localName === name).length) {
      throw new XadesError('ERR_XADES_STRUCTURE', `a ${name} without a signature`);
    }
  }
  return placed;
}
