import { ContentInfo, SignedData } from '@peculiar/asn1-cms';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  DER_TAG,
  type DerElement,
  DerError,
  expectTag,
  readChildren,
  readSingle,
  wholeOf,
} from '../../../protocol/der.js';
import { tlvOf } from '../../../protocol/der-writer.js';
import { HpkiError } from '../../../protocol/errors.js';
import { checkDerBounds, type DerBounds, malformed } from './der-bounds.js';
import { CMS_OID } from './oids.js';

/**
 * A CMS SignedData (RFC 5652 §5) read within bounds. The structure is decoded by @peculiar/asn1-cms;
 * the `certificates` and `crls` fields are cut out of the DER first and kept as the exact bytes
 * the file holds, because the certificate validator parses certificates itself and because
 * asn1-cms 2.11's RevocationInfoChoice knows only the `other` choice, not a plain CRL.
 */

export interface CmsLimits extends DerBounds {
  maxSigners: number;
  maxCertificates: number;
  maxCrls: number;
  maxAttributes: number;
}

export interface ParsedSignedData {
  signedData: SignedData;
  /** DER of each certificate in `certificates` (other choices are left out). */
  certificates: Uint8Array[];
  /** DER of each CertificateList in `crls` (other revocation formats are left out). */
  crls: Uint8Array[];
  eContentType: string;
  /** The encapsulated content, when the signature is not detached. */
  eContent: Uint8Array | undefined;
  /** Each SignerInfo's signedAttrs element as the file holds it (tag [0]), in signerInfos order. */
  signedAttributes: (Uint8Array | undefined)[];
}

const CERTIFICATES_TAG = 0xa0;
const CRLS_TAG = 0xa1;

/** Splits SignedData's DER into the fields asn1-cms decodes and the certificates and CRLs, as DER. */
function splitSignedData(content: Uint8Array, limits: CmsLimits) {
  const seq = readSingle(content, DER_TAG.SEQUENCE);
  const kept: Uint8Array[] = [];
  const certificates: Uint8Array[] = [];
  const crls: Uint8Array[] = [];
  const fields = readChildren(content, seq, 8);
  for (const field of fields) {
    if (field.tag !== CERTIFICATES_TAG && field.tag !== CRLS_TAG) {
      kept.push(wholeOf(content, field));
      continue;
    }
    const isCerts = field.tag === CERTIFICATES_TAG;
    const max = isCerts ? limits.maxCertificates : limits.maxCrls;
    const items = readChildren(content, field, max + 1);
    if (items.length > max) throw malformed(`more than ${max} ${isCerts ? 'certificates' : 'CRLs'}`);
    for (const item of items)
      if (item.tag === DER_TAG.SEQUENCE) (isCerts ? certificates : crls).push(wholeOf(content, item));
  }
  return {
    rest: tlvOf(DER_TAG.SEQUENCE, kept),
    certificates,
    crls,
    signedAttributes: signedAttributesOf(content, fields, limits),
  };
}

/**
 * The exact bytes of each signer's signed attributes (the signature covers them, RFC 5652 §5.4):
 * taken from the file rather than re-encoded, so a signature over them is checked as made.
 */
function signedAttributesOf(content: Uint8Array, fields: DerElement[], limits: CmsLimits): (Uint8Array | undefined)[] {
  const signerInfos = fields.at(-1);
  if (signerInfos?.tag !== DER_TAG.SET) throw malformed('SignedData has no signerInfos');
  const signers = readChildren(content, signerInfos, limits.maxSigners + 1);
  if (signers.length > limits.maxSigners) throw malformed(`more than ${limits.maxSigners} signers`);
  return signers.map((signer) => {
    const attrs = readChildren(content, expectTag(signer, DER_TAG.SEQUENCE, 'SignerInfo'), 8).find(
      (f) => f.tag === 0xa0,
    );
    return attrs === undefined ? undefined : wholeOf(content, attrs);
  });
}

function contentInfoOf(bytes: Uint8Array): Uint8Array {
  const info = AsnConvert.parse(bytes, ContentInfo);
  if (info.contentType !== CMS_OID.signedData) throw malformed(`content type ${info.contentType} is not signedData`);
  return new Uint8Array(info.content);
}

/** Parses a ContentInfo holding a SignedData; ERR_DOCUMENT_MALFORMED for anything else or beyond a bound. */
export function parseSignedData(bytes: Uint8Array, limits: CmsLimits, what = 'the CMS signature'): ParsedSignedData {
  checkDerBounds(bytes, limits, what);
  try {
    const content = contentInfoOf(bytes);
    const { rest, certificates, crls, signedAttributes } = splitSignedData(content, limits);
    const signedData = AsnConvert.parse(rest, SignedData);
    if (signedData.signerInfos.length === 0) throw malformed(`${what} has no signer`);
    if (signedData.signerInfos.length > limits.maxSigners) throw malformed(`more than ${limits.maxSigners} signers`);
    for (const signer of signedData.signerInfos) {
      const count = (signer.signedAttrs?.length ?? 0) + (signer.unsignedAttrs?.length ?? 0);
      if (count > limits.maxAttributes) throw malformed(`a signer has more than ${limits.maxAttributes} attributes`);
    }
    const encap = signedData.encapContentInfo;
    const single = encap.eContent?.single;
    const eContent =
      single !== undefined
        ? new Uint8Array(single.buffer)
        : encap.eContent?.any
          ? eContentOfAny(encap.eContent.any)
          : undefined;
    return { signedData, certificates, crls, eContentType: encap.eContentType, eContent, signedAttributes };
  } catch (err) {
    if (err instanceof HpkiError) throw err;
    throw malformed(`${what} is not a CMS SignedData: ${err instanceof Error ? err.message : 'unreadable'}`, err);
  }
}

/** eContent decoded as `any`: it must still be one OCTET STRING (a constructed one is not DER). */
function eContentOfAny(any: ArrayBuffer): Uint8Array {
  const bytes = new Uint8Array(any);
  try {
    const el = expectTag(readSingle(bytes, DER_TAG.OCTET_STRING), DER_TAG.OCTET_STRING, 'eContent');
    return bytes.subarray(el.valueStart, el.end);
  } catch (err) {
    if (err instanceof DerError) throw malformed(`eContent: ${err.message}`, err);
    throw err;
  }
}
