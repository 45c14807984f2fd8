import { createHash, randomBytes, randomUUID, X509Certificate } from 'node:crypto';
import { type Document, type Element, XMLSerializer } from '@xmldom/xmldom';
import { HpkiError } from '../../../protocol/errors.js';
import { verifyRsaPkcs1 } from '../cms/algorithms.js';
import type { PendingSignature, Timestamper } from '../document-types.js';
import { MAX_CERTIFICATE_BYTES, MAX_SIGNATURE_BYTES } from './xades-bounds.js';
import { XadesError } from './xades-errors.js';
import {
  C14N,
  DS_NS,
  EXC_C14N,
  RSA_SHA256_METHOD,
  SHA256_METHOD,
  SIGNED_PROPERTIES_TYPE,
  XADES_NS,
  XSI_NS,
} from './xades-names.js';
import { canonicalize } from './xml-canonical.js';
import { elementChildren, indexIds, onlyChild, resolveReference } from './xml-dom.js';
import { DEFAULT_XML_LIMITS, parseXmlSafely, startDeadline } from './xml-safe-parse.js';

/**
 * The 処方箋 XML of the e-prescription layout, made the way the published samples are: the CSV's
 * base64 in Document/Prescription/PrescriptionDocument, and in PrescriptionSign an `xs:Signature`
 * (Id "PrescriptionSign") with three references (#PrescriptionDocument without transform, the KeyInfo
 * and the SignedProperties with exc-c14n), exc-c14n SignedInfo, rsa-sha256, and XAdES 1.3.2
 * SigningTime and SigningCertificateV2. The SignatureTimeStamp of XAdES-T covers ds:SignatureValue in
 * Canonical XML 1.0, the default the samples rely on.
 */

export interface PrepareXadesOptions {
  /** SigningTime; default now. */
  signingTime?: Date;
  /** PrescriptionManagement/PrescriptionId; default a random UUID. */
  prescriptionId?: string;
}

export interface FinishXadesOptions {
  /** Adds a SignatureTimeStamp (XAdES-T). */
  timestamper?: Timestamper;
}

const MAX_CSV_BYTES = 512 * 1024;
const PRESCRIPTION_ID = /^[0-9A-Za-z-]{1,64}$/;

const id = (suffix: string): string => `id${randomBytes(4).toString('hex')}-${suffix}`;
const sha256 = (data: Uint8Array): Buffer => createHash('sha256').update(data).digest();

/** The base64 of `bytes` in lines of 76 characters, as the samples write long values. */
function wrappedBase64(bytes: Uint8Array): string {
  return (
    Buffer.from(bytes)
      .toString('base64')
      .match(/.{1,76}/g) ?? []
  ).join('\n');
}

function signingCertificateOf(der: Uint8Array): X509Certificate {
  try {
    if (der.length === 0 || der.length > MAX_CERTIFICATE_BYTES) throw new RangeError('size');
    return new X509Certificate(der);
  } catch (err) {
    throw new XadesError('ERR_XADES_INPUT', 'the signing certificate is not one DER certificate', { cause: err });
  }
}

function checkCsv(csv: Uint8Array): void {
  if (csv.length === 0 || csv.length > MAX_CSV_BYTES) {
    throw new XadesError('ERR_XADES_INPUT', `the CSV must be 1 to ${MAX_CSV_BYTES} bytes`);
  }
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(csv);
  } catch {
    throw new XadesError('ERR_XADES_INPUT', 'the CSV is not UTF-8');
  }
}

function templateOf(csv: Uint8Array, certificate: Uint8Array, time: Date, prescriptionId: string): string {
  const ids = { keyInfo: id('KeyInfo'), properties: id('SignedProperties') };
  const digest = `<xs:DigestMethod Algorithm="${SHA256_METHOD}"/>`;
  const exc = `<xs:Transforms><xs:Transform Algorithm="${EXC_C14N}"/></xs:Transforms>`;
  const signingTime = time.toISOString().replace(/\.\d{3}Z$/, '+00:00');
  return [
    `<?xml version="1.0" encoding="UTF-8"?><Document xmlns:xsi="${XSI_NS}" id="Document" xsi:noNamespaceSchemaLocation="EP.xsd">`,
    `<Prescription><PrescriptionManagement id="PrescriptionManagement"><Version Value="EPS1.0"/><PrescriptionId Value="${prescriptionId}"/></PrescriptionManagement>`,
    `<PrescriptionDocument id="PrescriptionDocument">${Buffer.from(csv).toString('base64')}</PrescriptionDocument>`,
    `<PrescriptionSign><xs:Signature xmlns:xs="${DS_NS}" Id="PrescriptionSign"><xs:SignedInfo Id="${id('SignedInfo')}">`,
    `<xs:CanonicalizationMethod Algorithm="${EXC_C14N}"/><xs:SignatureMethod Algorithm="${RSA_SHA256_METHOD}"/>`,
    `<xs:Reference Id="${id('Reference1-Detached')}" URI="#PrescriptionDocument">${digest}<xs:DigestValue/></xs:Reference>`,
    `<xs:Reference Id="${id('Reference2-KeyInfo')}" URI="#${ids.keyInfo}">${exc}${digest}<xs:DigestValue/></xs:Reference>`,
    `<xs:Reference Id="${id('Reference3-SignedProperties')}" Type="${SIGNED_PROPERTIES_TYPE}" URI="#${ids.properties}">${exc}${digest}<xs:DigestValue/></xs:Reference>`,
    `</xs:SignedInfo><xs:SignatureValue Id="${id('SignatureValue')}"/>`,
    `<xs:KeyInfo Id="${ids.keyInfo}"><xs:X509Data><xs:X509Certificate>${wrappedBase64(certificate)}</xs:X509Certificate></xs:X509Data></xs:KeyInfo>`,
    `<xs:Object xmlns:xa="${XADES_NS}"><xa:QualifyingProperties Id="${id('QualifyingProperties')}" Target="#PrescriptionSign">`,
    `<xa:SignedProperties Id="${ids.properties}"><xa:SignedSignatureProperties><xa:SigningTime>${signingTime}</xa:SigningTime>`,
    `<xa:SigningCertificateV2><xa:Cert><xa:CertDigest>${digest}<xs:DigestValue>${sha256(certificate).toString('base64')}</xs:DigestValue></xa:CertDigest></xa:Cert></xa:SigningCertificateV2>`,
    '</xa:SignedSignatureProperties></xa:SignedProperties></xa:QualifyingProperties></xs:Object></xs:Signature></PrescriptionSign></Prescription></Document>',
  ].join('');
}

function parseOwn(xml: Uint8Array): Document {
  return parseXmlSafely(xml, DEFAULT_XML_LIMITS, startDeadline(DEFAULT_XML_LIMITS));
}

interface SignatureNodes {
  signedInfo: Element;
  signatureValue: Element;
  certificate: Uint8Array;
  qualifying: Element;
}

/** The parts of the one signature of a document made by prepareXades (the state a site kept). */
function signatureNodes(doc: Document): SignatureNodes {
  const signatures = Array.from(doc.getElementsByTagNameNS(DS_NS, 'Signature'));
  const [signature] = signatures;
  const [signedInfo, signatureValue, keyInfo, object] = signature === undefined ? [] : elementChildren(signature);
  if (signatures.length !== 1 || !signedInfo || !signatureValue || !keyInfo || !object) {
    throw new XadesError('ERR_XADES_INPUT', 'the state is not a document made by prepareXades');
  }
  const certificate = onlyChild(onlyChild(keyInfo, DS_NS, 'X509Data'), DS_NS, 'X509Certificate');
  return {
    signedInfo,
    signatureValue,
    certificate: new Uint8Array(Buffer.from(certificate.textContent ?? '', 'base64')),
    qualifying: onlyChild(object, XADES_NS, 'QualifyingProperties'),
  };
}

/** Fills each DigestValue of SignedInfo from the element its reference names. */
function fillDigests(doc: Document, signedInfo: Element): void {
  const ids = indexIds(doc);
  for (const reference of Array.from(signedInfo.getElementsByTagNameNS(DS_NS, 'Reference'))) {
    const target = resolveReference(ids, reference.getAttribute('URI'));
    const transformed = reference.getElementsByTagNameNS(DS_NS, 'Transform').length > 0;
    const value = sha256(canonicalize(target, transformed ? EXC_C14N : C14N)).toString('base64');
    onlyChild(reference, DS_NS, 'DigestValue').appendChild(doc.createTextNode(value));
  }
}

const serialize = (doc: Document): Uint8Array => new TextEncoder().encode(new XMLSerializer().serializeToString(doc));

/**
 * The unsigned 処方箋 XML for `csv` and the signing certificate (`getSigningCertificate().certificate`):
 * the SHA-256 hash of its canonical SignedInfo is what the card signs; `state` is the document itself.
 */
export function prepareXades(
  csv: Uint8Array,
  signingCertificate: Uint8Array,
  options: PrepareXadesOptions = {},
): PendingSignature {
  checkCsv(csv);
  signingCertificateOf(signingCertificate);
  const prescriptionId = options.prescriptionId ?? randomUUID();
  if (!PRESCRIPTION_ID.test(prescriptionId))
    throw new XadesError('ERR_XADES_INPUT', 'prescriptionId is not a UUID-like id');
  const time = options.signingTime ?? new Date();
  if (Number.isNaN(time.getTime())) throw new XadesError('ERR_XADES_INPUT', 'signingTime is not a time');
  const doc = parseOwn(new TextEncoder().encode(templateOf(csv, signingCertificate, time, prescriptionId)));
  const { signedInfo } = signatureNodes(doc);
  fillDigests(doc, signedInfo);
  return {
    hashAlgorithm: 'SHA-256',
    hash: new Uint8Array(sha256(canonicalize(signedInfo, EXC_C14N))),
    state: serialize(doc),
  };
}

function signatureBytes(signature: Uint8Array | string): Uint8Array {
  const bytes = typeof signature === 'string' ? new Uint8Array(Buffer.from(signature, 'base64')) : signature;
  if (bytes.length === 0 || bytes.length > MAX_SIGNATURE_BYTES) {
    throw new XadesError('ERR_XADES_INPUT', `the signature must be 1 to ${MAX_SIGNATURE_BYTES} bytes`);
  }
  return bytes;
}

async function addTimestamp(doc: Document, nodes: SignatureNodes, timestamper: Timestamper): Promise<void> {
  const digest = sha256(canonicalize(nodes.signatureValue, C14N));
  const token = await timestamper('SHA-256', new Uint8Array(digest));
  const element = (name: string): Element => doc.createElementNS(XADES_NS, `xa:${name}`);
  const unsigned = element('UnsignedProperties');
  const properties = element('UnsignedSignatureProperties');
  const stamp = element('SignatureTimeStamp');
  stamp.setAttribute('Id', id('SignatureTimeStamp'));
  const encapsulated = element('EncapsulatedTimeStamp');
  encapsulated.appendChild(doc.createTextNode(wrappedBase64(token)));
  stamp.appendChild(encapsulated);
  properties.appendChild(stamp);
  unsigned.appendChild(properties);
  nodes.qualifying.appendChild(unsigned);
}

/**
 * The signed document: `signature` (the page's `sign` over the prepared hash) is checked against the
 * certificate in the state (a signature by another card, or over another hash, is ERR_SIGNATURE_INVALID
 * rather than a broken document), put in SignatureValue, and with a timestamper a SignatureTimeStamp
 * follows.
 */
export async function finishXades(
  state: Uint8Array,
  signature: Uint8Array | string,
  options: FinishXadesOptions = {},
): Promise<Uint8Array> {
  const doc = parseOwn(state);
  const nodes = signatureNodes(doc);
  if ((nodes.signatureValue.textContent ?? '') !== '')
    throw new XadesError('ERR_XADES_INPUT', 'the state is already signed');
  const bytes = signatureBytes(signature);
  const key = signingCertificateOf(nodes.certificate).publicKey;
  if (!verifyRsaPkcs1('SHA-256', key, canonicalize(nodes.signedInfo, EXC_C14N), bytes)) {
    throw new HpkiError(
      'ERR_SIGNATURE_INVALID',
      'the signature does not verify over this document with its certificate',
    );
  }
  nodes.signatureValue.appendChild(doc.createTextNode(wrappedBase64(bytes)));
  if (options.timestamper !== undefined) await addTimestamp(doc, nodes, options.timestamper);
  return serialize(doc);
}
