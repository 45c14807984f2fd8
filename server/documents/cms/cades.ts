import { BASIC_LEVELS, type SignatureReport } from '../../../protocol/signature-report.js';
import type { PendingSignature } from '../document-types.js';
import { type CmsSignatureInput, type FinishOptions, finishCmsSignature, prepareCmsSignature } from './cms-signing.js';
import { type CmsVerifyOptions, verifyCmsSignatures } from './cms-verifier.js';

/**
 * CAdES-BES and CAdES-T, detached (ETSI EN 319 122-1): the format `hpki-login sign --format cades`
 * writes and `verify-signature` reads. See docs/signing.md for a site's use.
 */

export interface CadesInput extends Omit<CmsSignatureInput, 'content'> {
  /** The document the detached signature is over. */
  data: Uint8Array;
}

export function prepareCades(input: CadesInput): PendingSignature {
  const { data, ...rest } = input;
  return prepareCmsSignature({ ...rest, content: data });
}

/** The DER ContentInfo/SignedData: CAdES-BES, or CAdES-T with `timestamper`. */
export function finishCades(
  state: Uint8Array,
  signature: Uint8Array,
  options: FinishOptions = {},
): Promise<Uint8Array> {
  return finishCmsSignature(state, signature, options);
}

export interface CadesVerifyOptions extends CmsVerifyOptions {
  /** The document of a detached signature (else the encapsulated content is used). */
  data?: Uint8Array;
}

export function verifyCades(signature: Uint8Array, options: CadesVerifyOptions): Promise<SignatureReport> {
  const { data, ...rest } = options;
  return verifyCmsSignatures(signature, data === undefined ? rest : { ...rest, content: data }, {
    format: 'cades',
    levels: BASIC_LEVELS.cades,
  });
}
