import { createHash } from 'node:crypto';
import { bytesToHex } from '../../protocol/base64.js';
import { type DistinguishedName, normalizeText } from '../../protocol/x500-name.js';

/**
 * The `sub` of PROTOCOL.md §10: one value per holder and certification authority, the same on every
 * card the authority issues to that holder (a renewal brings a new certificate, serial and key, but
 * the same subject serialNumber under the same issuer name).
 *
 *   sub = base64url( SHA-256( "hpki-login sub 1" ‖ 0x00 ‖ issuerKey ‖ 0x00 ‖ holderId ) )
 *
 * issuerKey is the certificate issuer's name in RFC 5280 §7.1 matching form (`issuerKey` below:
 * each RDN's attributes as [type OID, value NFKC-normalized, trimmed, inner spaces collapsed,
 * lowercased; a value that is not a string as "#" and its DER in hex], sorted within the RDN, the
 * whole as JSON). It is written here, not borrowed from the verifier's name comparison, so that no
 * change there can move anyone's sub; so a CA that re-encodes its name (PrintableString → UTF8String,
 * case) keeps its holders' subs; holderId is the subject's serialNumber as it stands. Both are UTF-8.
 * The 0x00 separators cannot occur in either, so no two (issuer, id) pairs share an input.
 * 43 characters, no secret: every deployment computes the same sub for the same holder.
 */
export const SUB_CONTEXT = 'hpki-login sub 1';

export function deriveSub(issuer: DistinguishedName, holderId: string): string {
  if (holderId === '' || holderId.includes('\u0000'))
    throw new RangeError('holder id must be non-empty and free of NUL');
  return createHash('sha256')
    .update(SUB_CONTEXT, 'utf8')
    .update(Uint8Array.of(0))
    .update(issuerKey(issuer), 'utf8')
    .update(Uint8Array.of(0))
    .update(holderId, 'utf8')
    .digest('base64url');
}

/** The issuer part of the sub input (see above). */
export function issuerKey(issuer: DistinguishedName): string {
  const rdns = issuer.map((rdn) =>
    rdn
      .map((ava): [string, string] => [
        ava.type,
        ava.text === undefined ? `#${bytesToHex(ava.der)}` : normalizeText(ava.text),
      ])
      .sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0) : a[0] < b[0] ? -1 : 1)),
  );
  return JSON.stringify(rdns);
}
