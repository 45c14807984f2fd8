import { verify, X509Certificate } from 'node:crypto';
import { HpkiError } from '../../protocol/errors.js';
import type { AuthenticateParams, AuthenticateResult } from '../../protocol/messages.js';
import { assertSecureOrigin } from '../../protocol/origin.js';
import { buildSignedContent, digestInfoSha256 } from '../../protocol/signed-data.js';
import { encodeToken } from '../../protocol/token.js';
import type { CardBackend } from '../card/index.js';
import { confirmShownCertificate, type SeenCertificates } from './seen-certificates.js';
import { withCardToken } from './with-token.js';

/**
 * `authenticate` (PROTOCOL.md §2–§4): the card must still hold the certificate the user saw, the PIN
 * is presented once, and the signature is checked against the certificate before a token leaves the
 * host. When this process showed that certificate (get-certificate), the card is checked with a short
 * read of the certificate's issuer and serial number; otherwise the certificate is read and hashed.
 * The params object (and with it the PIN) is not kept beyond this call.
 */
export async function runAuthenticate(
  backend: CardBackend,
  params: AuthenticateParams,
  seen?: SeenCertificates,
): Promise<AuthenticateResult> {
  const origin = assertSecureOrigin(params.origin);
  return withCardToken(backend, params.reader, async (token) => {
    await confirmShownCertificate(token, params.certificateSha256, seen);
    const { certificate, intermediates } = await token.readCertificate();
    await token.verifyPin(params.pin);
    const content = buildSignedContent({ origin, challenge: params.challenge, certificate });
    const signature = await token.sign(digestInfoSha256(content));
    if (!verify('sha256', content, new X509Certificate(certificate).publicKey, signature)) {
      throw new HpkiError('ERR_HPKI_INTERNAL', 'the card produced a signature that does not verify');
    }
    return { token: encodeToken({ certificate, intermediates, signature }) };
  });
}
