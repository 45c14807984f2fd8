import { constants, publicDecrypt, X509Certificate } from 'node:crypto';
import { decodeBase64Strict, encodeBase64 } from '../../protocol/base64.js';
import { buildDigestInfo, SIGNATURE_ALGORITHMS } from '../../protocol/digest-info.js';
import { HpkiError } from '../../protocol/errors.js';
import type { SignParams, SignResult } from '../../protocol/messages.js';
import { assertSecureOrigin } from '../../protocol/origin.js';
import type { CardBackend } from '../card/index.js';
import { confirmShownCertificate, type SeenCertificates } from './seen-certificates.js';
import { withCardToken } from './with-token.js';

/**
 * `sign` (PROTOCOL.md §11): a site's hash signed by the card's signing key. The host builds the
 * DigestInfo, checks that the signing AP still holds the certificate the user consented to give, presents
 * the signing PIN once and signs once, and checks the signature against the certificate before it
 * leaves the host. Only the signing AP is opened: the authentication key never signs a caller's hash.
 */

/** Whether `signature` is the certificate key's RSASSA-PKCS1-v1_5 signature over `digestInfo`. */
function signsDigestInfo(certificate: Uint8Array, digestInfo: Uint8Array, signature: Uint8Array): boolean {
  try {
    const key = new X509Certificate(certificate).publicKey;
    const recovered = publicDecrypt({ key, padding: constants.RSA_PKCS1_PADDING }, signature);
    return recovered.equals(Buffer.from(digestInfo));
  } catch {
    return false;
  }
}

export async function runSign(backend: CardBackend, params: SignParams, seen?: SeenCertificates): Promise<SignResult> {
  assertSecureOrigin(params.origin);
  const hash = decodeBase64Strict(params.hash);
  if (hash === undefined) throw new HpkiError('ERR_HPKI_INVALID_ARGUMENT', 'hash is not standard base64');
  let digestInfo: Uint8Array;
  try {
    digestInfo = buildDigestInfo(params.hashAlgorithm, hash);
  } catch {
    throw new HpkiError('ERR_HPKI_INVALID_ARGUMENT', `hash is not a ${params.hashAlgorithm} hash`);
  }
  return withCardToken(
    backend,
    params.reader,
    async (token) => {
      await confirmShownCertificate(token, params.certificateSha256, seen);
      const { certificate } = await token.readCertificate();
      await token.verifyPin(params.pin);
      const signature = await token.sign(digestInfo);
      if (!signsDigestInfo(certificate, digestInfo, signature)) {
        throw new HpkiError('ERR_HPKI_INTERNAL', 'the card produced a signature that does not verify');
      }
      return { signature: encodeBase64(signature), signatureAlgorithm: SIGNATURE_ALGORITHMS[params.hashAlgorithm] };
    },
    'sign',
  );
}
