import { type DerElement, DerError, readChildren, readElement } from '../../protocol/der.js';

/**
 * Minimal reading of a PKCS#15 certificate directory file (CDF): the file identifiers of the
 * certificates it lists. HPKI cards list the end-entity certificate and the CA certificates there
 * (HPKI-CARD.md §1, marked as inference), so the driver reads CA certificates only from what the card
 * itself announces, and treats anything it cannot parse as "no CA certificates".
 */

const TYPE_ATTRIBUTES = 0xa1;
const OCTET_STRING = 0x04;
const MAX_ENTRIES = 8;

/** The last OCTET STRING found depth-first under an element: in a CertificateObject, the Path. */
function lastOctetString(bytes: Uint8Array, parent: DerElement, depth: number): Uint8Array | undefined {
  if (depth > 8) return undefined;
  let found: Uint8Array | undefined;
  for (const child of readChildren(bytes, parent, 32)) {
    if (child.tag === OCTET_STRING) found = bytes.subarray(child.valueStart, child.end);
    else if (child.tag & 0x20) found = lastOctetString(bytes, child, depth + 1) ?? found;
  }
  return found;
}

/** File identifiers of the certificates listed in a CDF, in order. Padding (00/FF) ends the list. */
export function certificateFidsFromCdf(cdf: Uint8Array): number[] {
  const fids: number[] = [];
  try {
    for (let offset = 0; offset < cdf.length && fids.length < MAX_ENTRIES; ) {
      if (cdf[offset] === 0x00 || cdf[offset] === 0xff) break;
      const entry = readElement(cdf, offset);
      offset = entry.end;
      // typeAttributes [1] holds X509CertificateAttributes { value Path { path OCTET STRING } }.
      const typeAttributes = readChildren(cdf, entry, 16).find((e) => e.tag === TYPE_ATTRIBUTES);
      const path = typeAttributes === undefined ? undefined : lastOctetString(cdf, typeAttributes, 0);
      if (path !== undefined && path.length >= 2) fids.push((path[path.length - 2]! << 8) | path[path.length - 1]!);
    }
  } catch (err) {
    if (!(err instanceof DerError)) throw err;
  }
  return fids;
}
