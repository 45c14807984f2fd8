import { encodeBase64 } from '../../protocol/base64.js';
import { parseHpkiCertificate } from '../../protocol/hpki-certificate.js';
import type { GetCertificateResult, Holder } from '../../protocol/messages.js';
import type { CardBackend } from '../card/card-token.js';
import { withCardToken } from './with-token.js';

export function holderFromCertificate(der: Uint8Array): Holder {
  const info = parseHpkiCertificate(der);
  const holder: Holder = { name: info.subjectName, role: info.hcRole ?? '' };
  if (info.nameJa !== undefined) holder.nameJa = info.nameJa;
  return holder;
}

/** `get-certificate`: the authentication certificate, its holder and the PIN counter. Needs no PIN. */
export async function runGetCertificate(backend: CardBackend, params: { reader?: string }): Promise<GetCertificateResult> {
  return withCardToken(backend, params.reader, async (token, reader) => {
    const { certificate, intermediates } = await token.readCertificate();
    const pin = await token.pinStatus();
    return {
      reader,
      cardType: token.cardType,
      certificate: encodeBase64(certificate),
      intermediates: intermediates.map(encodeBase64),
      holder: holderFromCertificate(certificate),
      pinRetriesLeft: pin.retriesLeft,
      pinMaxRetries: pin.maxRetries,
    };
  });
}
