import type { DistinguishedName } from './x500-name.js';
import { ATTR, lastAttribute, nameToString } from './x500-name.js';

/**
 * The organisation that issued a certificate, as a doctor knows it, for display on one line: 日本医師会認証局
 * for the Japan Medical Association's HPKI CAs (CN HPKI-01-HPKI_JV…), MEDIS for MEDIS's, and the
 * issuer DN's organisation (O) otherwise; its common name only when it has no O. Never the CA's
 * technical name such as HPKI-01-MedisAuthCA2-forAuthentication-forIndividual when an O is there.
 */
export function issuerOrganization(issuer: DistinguishedName): string {
  const cn = lastAttribute(issuer, ATTR.commonName);
  const o = lastAttribute(issuer, ATTR.organization);
  const both = `${cn ?? ''}\n${o ?? ''}`;
  if (/HPKI_JV|\bJMA\b|Japan Medical Association|日本医師会/i.test(both)) return '日本医師会認証局';
  if (/MEDIS/i.test(both)) return 'MEDIS';
  return o ?? cn ?? nameToString(issuer);
}
