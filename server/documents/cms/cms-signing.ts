import { z } from 'zod';
import { decodeBase64Strict, encodeBase64 } from '../../../protocol/base64.js';
import { HASH_ALGORITHMS, HASH_LENGTHS, type HashAlgorithm } from '../../../protocol/digest-info.js';
import { HpkiError } from '../../../protocol/errors.js';
import { MAX_INTERMEDIATES } from '../../../protocol/token.js';
import { type ParsedCertificate, parseCertificate } from '../../cert/index.js';
import type { PendingSignature, Timestamper } from '../document-types.js';
import { digest, verifyRsaPkcs1 } from './algorithms.js';
import { assembleSignedData } from './cms-builder.js';
import { CMS_OID } from './oids.js';
import { encodeSignedAttributes } from './signed-attributes.js';

/**
 * The two halves of making a CMS signature with the card (PROTOCOL.md §11): `prepareCmsSignature`
 * builds the signed attributes and returns the hash the page's `sign` must sign, with a state the
 * site keeps; `finishCmsSignature` takes that state and the card's signature, checks the signature
 * against the certificate, and assembles the SignedData. CAdES uses both with data; PAdES gives a
 * digest of its byte ranges and no signingTime.
 */

export interface CmsSignatureInput {
  /** The content, or its digest (then of `hashAlgorithm`). */
  content: Uint8Array | { hashAlgorithm: HashAlgorithm; digest: Uint8Array };
  /** The signing certificate (`getSigningCertificate().certificate`), DER. */
  certificate: Uint8Array;
  /** The card's CA certificates (`getSigningCertificate().intermediates`), DER, at most 4. */
  intermediates?: readonly Uint8Array[];
  /** Default SHA-256. */
  hashAlgorithm?: HashAlgorithm;
  /** The signingTime attribute; default now; null leaves it out (PAdES B-B). */
  signingTime?: Date | null;
}

export interface FinishOptions {
  /** With a Timestamper, a signature timestamp is added (CAdES-T, PAdES B-T). */
  timestamper?: Timestamper;
}

/** What a site keeps between prepare and finish: versioned JSON, bytes in base64. */
const stateSchema = z.strictObject({
  v: z.literal(1),
  kind: z.literal('cms'),
  hashAlgorithm: z.enum(HASH_ALGORITHMS),
  signedAttributes: z.base64().max(64 * 1024),
  certificate: z.base64().max(16 * 1024),
  intermediates: z.array(z.base64().max(16 * 1024)).max(MAX_INTERMEDIATES),
});

function invalid(message: string): HpkiError {
  return new HpkiError('ERR_HPKI_INVALID_ARGUMENT', message);
}

function certificateOf(der: Uint8Array): ParsedCertificate {
  try {
    return parseCertificate(der);
  } catch {
    throw invalid('the signing certificate is not a certificate');
  }
}

function contentDigest(input: CmsSignatureInput, hashAlgorithm: HashAlgorithm): Uint8Array {
  if (input.content instanceof Uint8Array) return digest(hashAlgorithm, input.content);
  if (input.content.hashAlgorithm !== hashAlgorithm || input.content.digest.length !== HASH_LENGTHS[hashAlgorithm]) {
    throw invalid(`the content digest is not a ${hashAlgorithm} digest`);
  }
  return input.content.digest;
}

export function prepareCmsSignature(input: CmsSignatureInput): PendingSignature {
  const hashAlgorithm = input.hashAlgorithm ?? 'SHA-256';
  const intermediates = input.intermediates ?? [];
  if (intermediates.length > MAX_INTERMEDIATES) throw invalid(`at most ${MAX_INTERMEDIATES} intermediates`);
  const certificate = certificateOf(input.certificate);
  const signedAttributes = encodeSignedAttributes({
    contentType: CMS_OID.data,
    hashAlgorithm,
    messageDigest: contentDigest(input, hashAlgorithm),
    certificate,
    signingTime: input.signingTime === undefined ? new Date() : input.signingTime,
  });
  const state = {
    v: 1,
    kind: 'cms',
    hashAlgorithm,
    signedAttributes: encodeBase64(signedAttributes),
    certificate: encodeBase64(input.certificate),
    intermediates: intermediates.map(encodeBase64),
  } satisfies z.infer<typeof stateSchema>;
  return {
    hashAlgorithm,
    hash: digest(hashAlgorithm, signedAttributes),
    state: new TextEncoder().encode(JSON.stringify(state)),
  };
}

function readState(state: Uint8Array) {
  let parsed: z.infer<typeof stateSchema>;
  try {
    parsed = stateSchema.parse(JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(state)));
  } catch {
    throw invalid('the pending signature state is not one prepareCmsSignature made');
  }
  const bytes = (b64: string): Uint8Array => decodeBase64Strict(b64) ?? new Uint8Array(0);
  return {
    hashAlgorithm: parsed.hashAlgorithm,
    signedAttributes: bytes(parsed.signedAttributes),
    certificate: certificateOf(bytes(parsed.certificate)),
    intermediates: parsed.intermediates.map(bytes),
  };
}

/** The card's signature must verify with the certificate over the signed attributes: a wrong card or key is caught here. */
export async function finishCmsSignature(
  state: Uint8Array,
  signature: Uint8Array,
  options: FinishOptions = {},
): Promise<Uint8Array> {
  const pending = readState(state);
  if (!verifyRsaPkcs1(pending.hashAlgorithm, pending.certificate.publicKey, pending.signedAttributes, signature))
    throw new HpkiError('ERR_SIGNATURE_INVALID', "the signature does not verify with the signing certificate's key");
  return assembleSignedData({ ...pending, signature, timestamper: options.timestamper });
}
