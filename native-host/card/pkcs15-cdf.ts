/**
 * Minimal reading of a PKCS#15 certificate directory file (CDF): the file identifiers of the
 * certificates it lists. HPKI cards list the end-entity certificate and the CA certificates there
 * (HPKI-CARD.md §1, marked as inference), so the driver reads CA certificates only from what the card
 * itself announces, and treats anything it cannot parse as "no CA certificates".
 */

interface Tlv {
  tag: number;
  value: Uint8Array;
  end: number;
}

function readTlv(bytes: Uint8Array, offset: number): Tlv | undefined {
  if (offset + 2 > bytes.length) return undefined;
  const tag = bytes[offset]!;
  if ((tag & 0x1f) === 0x1f) return undefined; // multi-byte tags do not occur in a CDF
  let length = bytes[offset + 1]!;
  let start = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 2 || start + count > bytes.length) return undefined;
    length = 0;
    for (let i = 0; i < count; i++) length = (length << 8) | bytes[start + i]!;
    start += count;
  }
  if (start + length > bytes.length) return undefined;
  return { tag, value: bytes.subarray(start, start + length), end: start + length };
}

/** The last OCTET STRING found depth-first under a TLV value: in a CertificateObject, the Path. */
function lastOctetString(value: Uint8Array, depth: number): Uint8Array | undefined {
  if (depth > 8) return undefined;
  let found: Uint8Array | undefined;
  for (let offset = 0; offset < value.length; ) {
    const tlv = readTlv(value, offset);
    if (tlv === undefined) return found;
    if (tlv.tag === 0x04) found = tlv.value;
    else if (tlv.tag & 0x20) found = lastOctetString(tlv.value, depth + 1) ?? found;
    offset = tlv.end;
  }
  return found;
}

/** File identifiers of the certificates listed in a CDF, in order. Padding (00/FF) ends the list. */
export function certificateFidsFromCdf(cdf: Uint8Array): number[] {
  const fids: number[] = [];
  for (let offset = 0; offset < cdf.length && fids.length < 8; ) {
    if (cdf[offset] === 0x00 || cdf[offset] === 0xff) break;
    const entry = readTlv(cdf, offset);
    if (entry === undefined) break;
    // typeAttributes [1] holds X509CertificateAttributes { value Path { path OCTET STRING } }.
    let typeAttributes: Uint8Array | undefined;
    for (let inner = 0; inner < entry.value.length; ) {
      const tlv = readTlv(entry.value, inner);
      if (tlv === undefined) break;
      if (tlv.tag === 0xa1) typeAttributes = tlv.value;
      inner = tlv.end;
    }
    const path = typeAttributes === undefined ? undefined : lastOctetString(typeAttributes, 0);
    if (path !== undefined && path.length >= 2) {
      fids.push((path[path.length - 2]! << 8) | path[path.length - 1]!);
    }
    offset = entry.end;
  }
  return fids;
}
