import type { Element } from '@xmldom/xmldom';
import { MAX_CERTIFICATE_BYTES, MAX_DIGEST_BYTES, MAX_SIGNATURE_BYTES } from './xades-bounds.js';
import { XadesError } from './xades-errors.js';
import { C14N, DIGEST_METHODS, type DigestName, DS_NS, EXC_C14N, SIGNATURE_METHODS, XADES_NS } from './xades-names.js';
import { readQualifyingProperties, type SignedProperties, type UnsignedProperties } from './xades-properties.js';
import { base64Of, elementChildren, isElement, onlyChild, resolveReference } from './xml-dom.js';

/**
 * One ds:Signature of the e-prescription layout, read strictly: SignedInfo, SignatureValue, KeyInfo
 * and one Object holding the QualifyingProperties of exactly this signature, in that order; three
 * References, each resolved by ID inside the document: the signed document element, this
 * signature's own KeyInfo and this signature's own SignedProperties. A reference to any other element
 * (a copy, a decoy elsewhere) is refused here or by the layout check.
 */

export interface ParsedReference {
  target: Element;
  /** C14N when the reference has no transform (XML-DSig's default for a node set), else EXC_C14N. */
  canonicalization: string;
  digest: DigestName;
  digestValue: Uint8Array;
}

export interface ParsedSignature {
  element: Element;
  id: string;
  signedInfo: Element;
  canonicalization: string;
  signatureDigest: DigestName;
  /** The reference to the signed document element (its position is the layout's to check). */
  document: ParsedReference;
  references: readonly ParsedReference[];
  signatureValue: Uint8Array;
  signatureValueElement: Element;
  keyInfo: Element;
  certificate: Uint8Array;
  signed: SignedProperties;
  unsigned: UnsignedProperties;
}

/** The Algorithm attribute of an element, looked up in `table`; else ERR_XADES_ALGORITHM. */
function algorithmOf<T>(element: Element, table: Readonly<Record<string, T>>): T {
  const uri = element.getAttribute('Algorithm') ?? '';
  const value = Object.hasOwn(table, uri) ? table[uri] : undefined;
  if (value === undefined)
    throw new XadesError('ERR_XADES_ALGORITHM', `algorithm '${uri.slice(0, 80)}' is not supported`);
  return value;
}

const CANONICALIZATIONS: Readonly<Record<string, string>> = { [EXC_C14N]: EXC_C14N, [C14N]: C14N };

function readTransforms(transforms: Element | undefined): string {
  if (transforms === undefined) return C14N;
  const list = elementChildren(transforms);
  const only = list[0];
  if (list.length !== 1 || only === undefined || !isElement(only, DS_NS, 'Transform')) {
    throw new XadesError('ERR_XADES_ALGORITHM', 'a reference must have no transform or exactly exc-c14n');
  }
  if (only.getAttribute('Algorithm') !== EXC_C14N || elementChildren(only).length > 0) {
    throw new XadesError('ERR_XADES_ALGORITHM', 'the only transform admitted is exc-c14n without a prefix list');
  }
  return EXC_C14N;
}

function readReference(reference: Element, ids: ReadonlyMap<string, Element>): ParsedReference {
  const children = elementChildren(reference);
  const [first, second, third] = children;
  const hasTransforms = first !== undefined && isElement(first, DS_NS, 'Transforms');
  const method = hasTransforms ? second : first;
  const value = hasTransforms ? third : second;
  if (
    children.length !== (hasTransforms ? 3 : 2) ||
    method === undefined ||
    value === undefined ||
    !isElement(method, DS_NS, 'DigestMethod') ||
    !isElement(value, DS_NS, 'DigestValue')
  ) {
    throw new XadesError('ERR_XADES_STRUCTURE', 'a Reference is not (Transforms?, DigestMethod, DigestValue)');
  }
  return {
    target: resolveReference(ids, reference.getAttribute('URI')),
    canonicalization: readTransforms(hasTransforms ? first : undefined),
    digest: algorithmOf(method, DIGEST_METHODS),
    digestValue: base64Of(value, MAX_DIGEST_BYTES, 'ERR_XADES_STRUCTURE'),
  };
}

interface SignatureParts {
  signedInfo: Element;
  signatureValue: Element;
  keyInfo: Element;
  qualifying: Element;
}

function signatureParts(signature: Element, id: string): SignatureParts {
  const [signedInfo, signatureValue, keyInfo, object, ...rest] = elementChildren(signature);
  if (
    signedInfo === undefined ||
    signatureValue === undefined ||
    keyInfo === undefined ||
    object === undefined ||
    rest.length > 0 ||
    !isElement(signedInfo, DS_NS, 'SignedInfo') ||
    !isElement(signatureValue, DS_NS, 'SignatureValue') ||
    !isElement(keyInfo, DS_NS, 'KeyInfo') ||
    !isElement(object, DS_NS, 'Object')
  ) {
    throw new XadesError('ERR_XADES_STRUCTURE', 'a Signature is not (SignedInfo, SignatureValue, KeyInfo, Object)');
  }
  const qualifying = onlyChild(object, XADES_NS, 'QualifyingProperties');
  if (elementChildren(object).length !== 1 || qualifying.getAttribute('Target') !== `#${id}`) {
    throw new XadesError(
      'ERR_XADES_STRUCTURE',
      'the Object does not hold only the QualifyingProperties of this signature',
    );
  }
  return { signedInfo, signatureValue, keyInfo, qualifying };
}

interface SignedInfoContent {
  canonicalization: string;
  signatureDigest: DigestName;
  references: Element[];
}

function readSignedInfo(signedInfo: Element): SignedInfoContent {
  const [c14n, method, ...references] = elementChildren(signedInfo);
  if (
    c14n === undefined ||
    method === undefined ||
    !isElement(c14n, DS_NS, 'CanonicalizationMethod') ||
    !isElement(method, DS_NS, 'SignatureMethod') ||
    references.length !== 3 ||
    !references.every((r) => isElement(r, DS_NS, 'Reference'))
  ) {
    throw new XadesError(
      'ERR_XADES_STRUCTURE',
      'SignedInfo is not (CanonicalizationMethod, SignatureMethod, 3 References)',
    );
  }
  if (elementChildren(c14n).length > 0 || elementChildren(method).length > 0) {
    throw new XadesError('ERR_XADES_ALGORITHM', 'parameters to the canonicalization or signature method');
  }
  return {
    canonicalization: algorithmOf(c14n, CANONICALIZATIONS),
    signatureDigest: algorithmOf(method, SIGNATURE_METHODS),
    references,
  };
}

/** The X509Certificate in KeyInfo: exactly one, in one X509Data. */
function readKeyInfo(keyInfo: Element): Uint8Array {
  const data = onlyChild(keyInfo, DS_NS, 'X509Data');
  const certificate = onlyChild(data, DS_NS, 'X509Certificate');
  if (elementChildren(keyInfo).length !== 1 || elementChildren(data).length !== 1) {
    throw new XadesError('ERR_XADES_STRUCTURE', 'KeyInfo must hold one X509Data with one X509Certificate');
  }
  return base64Of(certificate, MAX_CERTIFICATE_BYTES, 'ERR_XADES_STRUCTURE');
}

/** Which of the three references is which: the SignedProperties, the KeyInfo, and the document. */
function assignReferences(parsed: ParsedReference[], keyInfo: Element, signedProperties: Element): ParsedReference {
  const toKeyInfo = parsed.filter((r) => r.target === keyInfo);
  const toProperties = parsed.filter((r) => r.target === signedProperties);
  const others = parsed.filter((r) => r.target !== keyInfo && r.target !== signedProperties);
  const document = others[0];
  if (toKeyInfo.length !== 1 || toProperties.length !== 1 || others.length !== 1 || document === undefined) {
    throw new XadesError(
      'ERR_XADES_REFERENCE',
      'the references are not one each to the document, this KeyInfo and these SignedProperties',
    );
  }
  return document;
}

export function readSignature(signature: Element, ids: ReadonlyMap<string, Element>): ParsedSignature {
  const id = signature.getAttribute('Id') ?? '';
  if (id === '') throw new XadesError('ERR_XADES_STRUCTURE', 'a Signature without an Id');
  const parts = signatureParts(signature, id);
  const signedInfo = readSignedInfo(parts.signedInfo);
  const properties = readQualifyingProperties(parts.qualifying);
  const references = signedInfo.references.map((r) => readReference(r, ids));
  const document = assignReferences(references, parts.keyInfo, properties.signed.element);
  return {
    element: signature,
    id,
    signedInfo: parts.signedInfo,
    canonicalization: signedInfo.canonicalization,
    signatureDigest: signedInfo.signatureDigest,
    document,
    references,
    signatureValue: base64Of(parts.signatureValue, MAX_SIGNATURE_BYTES, 'ERR_XADES_STRUCTURE'),
    signatureValueElement: parts.signatureValue,
    keyInfo: parts.keyInfo,
    certificate: readKeyInfo(parts.keyInfo),
    signed: properties.signed,
    unsigned: properties.unsigned,
  };
}
