import { AsnConvert } from '@peculiar/asn1-schema';
import { TSTInfo } from '@peculiar/asn1-tsp';
import type { HpkiError } from '../../../protocol/errors.js';
import { CMS_OID } from '../cms/oids.js';
import { type CmsLimits, type ParsedSignedData, parseSignedData } from '../cms/signed-data.js';

/** A token is a few kilobytes (a signature and a short chain); 256 KiB leaves room for a long chain and CRLs. */
export const TOKEN_LIMITS: CmsLimits = {
  maxBytes: 256 * 1024,
  maxDepth: 24,
  maxElements: 20_000,
  maxSigners: 1,
  maxCertificates: 8,
  maxCrls: 8,
  maxAttributes: 16,
};

/**
 * A timestamp token's SignedData and its TSTInfo (RFC 3161 §2.4.2, version 1), read the same way by
 * the client that takes it from the TSA and by the verifier. A token that is not one throws
 * `fail(message)`; malformed DER throws the DER reader's error, which each caller names in its terms.
 */
export function readTimestampToken(
  token: Uint8Array,
  fail: (message: string) => HpkiError,
): { parsed: ParsedSignedData; info: TSTInfo } {
  const parsed = parseSignedData(token, TOKEN_LIMITS, 'the timestamp token');
  if (parsed.eContentType !== CMS_OID.tstInfo || parsed.eContent === undefined)
    throw fail('the token holds no TSTInfo');
  const info = AsnConvert.parse(parsed.eContent, TSTInfo);
  if (info.version !== 1) throw fail(`TSTInfo version ${info.version}`);
  return { parsed, info };
}
