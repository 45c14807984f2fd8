import { randomBytes } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { MessageImprint, PKIStatus, TimeStampReq, TimeStampResp, type TSTInfo } from '@peculiar/asn1-tsp';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import type { HashAlgorithm } from '../../../protocol/digest-info.js';
import { HASH_LENGTHS } from '../../../protocol/digest-info.js';
import { HpkiError } from '../../../protocol/errors.js';
import { DIGEST_OIDS, sameBytes } from '../cms/algorithms.js';
import { checkDerBounds } from '../cms/der-bounds.js';
import { readTimestampToken, TOKEN_LIMITS } from './token-content.js';

/**
 * RFC 3161 §2.4 request and response: a TimeStampReq with a fresh 64-bit nonce and certReq, and
 * the checks on the answer that need no trust decision (status granted, a token whose TSTInfo
 * carries this imprint and this nonce). The token's signature and TSA are checked by the verifier.
 */

export interface TsaRequest {
  der: Uint8Array<ArrayBuffer>;
  nonce: Uint8Array;
  hashAlgorithm: HashAlgorithm;
  digest: Uint8Array;
}

export function buildTsaRequest(hashAlgorithm: HashAlgorithm, digest: Uint8Array): TsaRequest {
  if (digest.length !== HASH_LENGTHS[hashAlgorithm]) {
    throw new HpkiError(
      'ERR_HPKI_INVALID_ARGUMENT',
      `a ${hashAlgorithm} digest is ${HASH_LENGTHS[hashAlgorithm]} bytes`,
    );
  }
  // A positive INTEGER of 8 octets: the top bit cleared so that no sign octet is needed.
  const nonce = new Uint8Array(randomBytes(8));
  nonce[0] = (nonce[0]! & 0x7f) | 0x01;
  const request = new TimeStampReq({
    version: 1,
    messageImprint: new MessageImprint({
      hashAlgorithm: new AlgorithmIdentifier({ algorithm: DIGEST_OIDS[hashAlgorithm] }),
      hashedMessage: new OctetString(digest),
    }),
    nonce: nonce.buffer,
    certReq: true,
  });
  return { der: new Uint8Array(AsnConvert.serialize(request)), nonce, hashAlgorithm, digest };
}

function refused(message: string, cause?: unknown): HpkiError {
  return new HpkiError('ERR_TSA_REFUSED', message, cause === undefined ? undefined : { cause });
}

function statusText(response: TimeStampResp): string {
  const text = response.status.statusString?.join(' ').slice(0, 200) ?? '';
  const fail = response.status.failInfo?.toJSON().join(',') ?? '';
  return [`status ${response.status.status}`, fail, text].filter((s) => s !== '').join(': ');
}

/** The token of a TimeStampResp answering `request`; ERR_TSA_REFUSED for anything else. */
export function readTsaResponse(bytes: Uint8Array, request: TsaRequest): Uint8Array {
  let response: TimeStampResp;
  try {
    checkDerBounds(bytes, { ...TOKEN_LIMITS, maxBytes: TOKEN_LIMITS.maxBytes + 4096 }, 'the TSA response');
    response = AsnConvert.parse(bytes, TimeStampResp);
  } catch (err) {
    throw refused(
      `the TSA answered something that is not a TimeStampResp: ${err instanceof Error ? err.message : ''}`,
      err,
    );
  }
  const status = response.status.status;
  if (status !== PKIStatus.granted && status !== PKIStatus.grantedWithMods) {
    throw refused(`the TSA refused: ${statusText(response)}`);
  }
  if (response.timeStampToken === undefined) throw refused('the TSA granted but sent no token');
  const token = new Uint8Array(AsnConvert.serialize(response.timeStampToken));
  let info: TSTInfo;
  try {
    info = readTimestampToken(token, refused).info;
  } catch (err) {
    if (err instanceof HpkiError && err.code === 'ERR_TSA_REFUSED') throw err;
    throw refused(`the TSA's token is malformed: ${err instanceof Error ? err.message : ''}`, err);
  }
  const imprint = info.messageImprint;
  if (
    imprint.hashAlgorithm.algorithm !== DIGEST_OIDS[request.hashAlgorithm] ||
    !sameBytes(new Uint8Array(imprint.hashedMessage.buffer), request.digest)
  ) {
    throw refused('the token stamps another imprint than the one asked for');
  }
  if (info.nonce === undefined || !sameBytes(new Uint8Array(info.nonce), request.nonce)) {
    throw refused('the token does not carry the nonce of the request');
  }
  return token;
}
