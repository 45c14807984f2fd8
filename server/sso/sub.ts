import { createHash } from 'node:crypto';
import type { Name } from '@peculiar/asn1-x509';
import { nameKey } from '../../protocol/x500-name.js';

/**
 * The `sub` of PROTOCOL.md §10: one value per holder and certification authority, the same on every
 * card the authority issues to that holder (a renewal brings a new certificate, serial and key, but
 * the same subject serialNumber under the same issuer name).
 *
 *   sub = base64url( SHA-256( "hpki-login sub 1" ‖ 0x00 ‖ issuerKey ‖ 0x00 ‖ holderId ) )
 *
 * issuerKey is the certificate issuer's RFC 5280 §7.1 comparison key (`nameKey`: each RDN's
 * attributes as [type OID, value NFKC-normalized, trimmed, inner spaces collapsed, lowercased],
 * sorted within the RDN, as JSON), so a CA that re-encodes its name (PrintableString → UTF8String,
 * case) keeps its holders' subs; holderId is the subject's serialNumber as it stands. Both are UTF-8.
 * The 0x00 separators cannot occur in either, so no two (issuer, id) pairs share an input.
 * 43 characters, no secret: every deployment computes the same sub for the same holder.
 */
export const SUB_CONTEXT = 'hpki-login sub 1';

export function deriveSub(issuer: Name, holderId: string): string {
  if (holderId === '' || holderId.includes('\u0000')) throw new RangeError('holder id must be non-empty and free of NUL');
  return createHash('sha256')
    .update(SUB_CONTEXT, 'utf8')
    .update(Uint8Array.of(0))
    .update(nameKey(issuer), 'utf8')
    .update(Uint8Array.of(0))
    .update(holderId, 'utf8')
    .digest('base64url');
}
