import { createHash, X509Certificate } from 'node:crypto';
import { concatBytes } from '../../protocol/bytes.js';
import { HpkiError } from '../../protocol/errors.js';
import type { CardType } from '../../protocol/messages.js';
import { emsaPkcs1v15, isSha256DigestInfo } from '../../protocol/signed-data.js';
import type { ApduTransport } from '../transport/apdu-transport.js';
import {
  mseSetSigningKey,
  parseResponse,
  proprietarySign,
  psoComputeSignature,
  type ResponseApdu,
  readBinary,
  selectAid,
  selectAidNoFci,
  selectEf,
  verifyPin,
  verifyStatus,
} from './apdu.js';
import type { CardCertificates, CardToken, PinStatus } from './card-token.js';
import {
  FID_CDF,
  FID_CERTIFICATE,
  FID_PRIVATE_KEY,
  HPKI_AUTH_AID,
  JPKI_AID,
  MAX_FILE_LENGTH,
  MAX_PIN_RETRIES,
  READ_BLOCK,
} from './constants.js';
import { certificateFidsFromCdf } from './pkcs15-cdf.js';
import { checkStatusWord, describeStatusWord, meansPinBlocked, SIGN_FALLBACK_STATUS, SW } from './status-words.js';

/**
 * The HPKI card driver over raw APDUs (HPKI-CARD.md §2), for the authentication AP. It keeps the
 * certificate it read so that one command reads it once, and it never retries a PIN.
 */

function cardError(step: string, sw: number): HpkiError {
  return new HpkiError('ERR_HPKI_INTERNAL', `card refused ${step}: ${describeStatusWord(sw)}`);
}

async function send(transport: ApduTransport, command: Uint8Array): Promise<ResponseApdu> {
  return parseResponse(await transport.transmit(command));
}

/** Length of a DER object from its first bytes (tag + definite length), or undefined. */
function derTotalLength(header: Uint8Array): number | undefined {
  if (header.length < 2 || header[0] !== 0x30) return undefined;
  const first = header[1]!;
  if (first < 0x80) return 2 + first;
  const count = first & 0x7f;
  if (count < 1 || count > 2 || header.length < 2 + count) return undefined;
  let length = 0;
  for (let i = 0; i < count; i++) length = (length << 8) | header[2 + i]!;
  return 2 + count + length;
}

/**
 * Reads a whole DER-encoded EF in 256-byte blocks. The first block carries the DER header, so the
 * total length is known without a separate header read (a certificate is always longer than 256
 * bytes; a shorter file ends the first read with 6282 and its data).
 */
async function readDerFile(transport: ApduTransport, fid: number, what: string): Promise<Uint8Array> {
  const selected = await send(transport, selectEf(fid));
  if (selected.sw !== SW.OK) throw cardError(`SELECT ${what}`, selected.sw);
  const head = await send(transport, readBinary(0, READ_BLOCK));
  if ((head.sw !== SW.OK && head.sw !== SW.END_OF_FILE) || head.data.length < 4)
    throw cardError(`READ BINARY ${what}`, head.sw);
  const total = derTotalLength(head.data);
  if (total === undefined || total > MAX_FILE_LENGTH || (head.sw === SW.END_OF_FILE && head.data.length < total)) {
    throw new HpkiError('ERR_HPKI_INTERNAL', `${what} on the card is not a DER object of a sensible size`);
  }
  const out = new Uint8Array(total);
  out.set(head.data.subarray(0, Math.min(head.data.length, total)));
  for (let offset = Math.min(head.data.length, total); offset < total; ) {
    const block = await send(transport, readBinary(offset, Math.min(READ_BLOCK, total - offset)));
    if (block.sw !== SW.OK || block.data.length === 0) throw cardError(`READ BINARY ${what}`, block.sw);
    out.set(block.data.subarray(0, total - offset), offset);
    offset += block.data.length;
  }
  return out;
}

/** A raw file (the CDF), read in blocks until the card says end of file or the bound is reached. */
async function readRawFile(transport: ApduTransport, fid: number): Promise<Uint8Array | undefined> {
  const selected = await send(transport, selectEf(fid));
  if (selected.sw !== SW.OK) return undefined;
  const chunks: Uint8Array[] = [];
  let length = 0;
  while (length < 1024) {
    const block = await send(transport, readBinary(length, READ_BLOCK));
    if ((block.sw !== SW.OK && block.sw !== SW.END_OF_FILE) || block.data.length === 0) break;
    chunks.push(block.data);
    length += block.data.length;
    if (block.sw === SW.END_OF_FILE || block.data.length < READ_BLOCK) break;
  }
  return chunks.length === 0 ? undefined : concatBytes(chunks);
}

/** Which kind of card answers: HPKI (auth AP selectable), My Number (JPKI AP), or something else. */
export async function detectCardType(transport: ApduTransport): Promise<CardType> {
  const hpki = await send(transport, selectAid(HPKI_AUTH_AID));
  if (hpki.sw === SW.OK) return 'hpki';
  const jpki = await send(transport, selectAidNoFci(JPKI_AID));
  return jpki.sw === SW.OK ? 'jpki' : 'unknown';
}

function unsupported(cardType: CardType): HpkiError {
  return new HpkiError(
    'ERR_HPKI_UNSUPPORTED_CARD',
    cardType === 'jpki' ? 'this is a My Number card, not an HPKI card' : 'this card is not an HPKI card',
  );
}

/**
 * CA certificates already read in this process, keyed by the SHA-256 of the end-entity certificate
 * they came with: the same end-entity certificate means the same issuer chain, so a second command
 * on the same card reads only the end-entity certificate again.
 */
export type CaCertificateCache = Map<string, Uint8Array[]>;

/**
 * Opens the authentication AP of an HPKI card on `transport`. Anything else (a My Number card, an
 * unknown card) fails with ERR_HPKI_UNSUPPORTED_CARD. The token owns the transport: close() closes it.
 */
export async function openHpkiToken(transport: ApduTransport, caCache?: CaCertificateCache): Promise<CardToken> {
  const cardType = await detectCardType(transport).catch(async (err: unknown) => {
    await transport.close();
    throw err;
  });
  if (cardType !== 'hpki') {
    await transport.close();
    throw unsupported(cardType);
  }
  // detectCardType left the authentication AP selected; selecting EFs inside it keeps it selected.
  return createHpkiApduToken(transport, caCache);
}

function createHpkiApduToken(transport: ApduTransport, caCache: CaCertificateCache | undefined): CardToken {
  let certificates: CardCertificates | undefined;
  let modulusBytes: number | undefined;

  async function readCaCertificates(): Promise<Uint8Array[]> {
    const cdf = await readRawFile(transport, FID_CDF);
    if (cdf === undefined) return [];
    const out: Uint8Array[] = [];
    for (const fid of certificateFidsFromCdf(cdf)) {
      if (fid === FID_CERTIFICATE) continue;
      out.push(await readDerFile(transport, fid, `CA certificate ${fid.toString(16).padStart(4, '0')}`));
    }
    return out;
  }

  async function signingKeyLength(): Promise<number> {
    if (modulusBytes !== undefined) return modulusBytes;
    const { certificate } = await token.readCertificate();
    const bits = new X509Certificate(certificate).publicKey.asymmetricKeyDetails?.modulusLength;
    if (bits === undefined || bits < 1024 || bits > 4096) {
      throw new HpkiError('ERR_HPKI_INTERNAL', 'the card certificate has no usable RSA key');
    }
    modulusBytes = bits / 8;
    return modulusBytes;
  }

  async function signIso(digestInfo: Uint8Array, keyLength: number): Promise<ResponseApdu> {
    const mse = await send(transport, mseSetSigningKey());
    if (mse.sw !== SW.OK) return mse;
    return send(transport, psoComputeSignature(emsaPkcs1v15(digestInfo, keyLength)));
  }

  async function signProprietary(digestInfo: Uint8Array): Promise<ResponseApdu> {
    const key = await send(transport, selectEf(FID_PRIVATE_KEY));
    if (key.sw !== SW.OK) return key;
    return send(transport, proprietarySign(digestInfo));
  }

  const token: CardToken = {
    cardType: 'hpki',

    async readCertificate() {
      if (certificates !== undefined) return certificates;
      const certificate = await readDerFile(transport, FID_CERTIFICATE, 'certificate');
      const key = createHash('sha256').update(certificate).digest('hex');
      const intermediates = caCache?.get(key) ?? (await readCaCertificates());
      caCache?.set(key, intermediates);
      certificates = { certificate, intermediates };
      return certificates;
    },

    async pinStatus(): Promise<PinStatus> {
      const r = await send(transport, verifyStatus());
      const checked = checkStatusWord(r.sw);
      if (checked.kind === 'retries') return { retriesLeft: checked.retriesLeft, maxRetries: MAX_PIN_RETRIES };
      if (meansPinBlocked(checked)) return { retriesLeft: 0, maxRetries: MAX_PIN_RETRIES };
      // 9000: already verified in this session, so the counter is full.
      if (r.sw === SW.OK) return { retriesLeft: MAX_PIN_RETRIES, maxRetries: MAX_PIN_RETRIES };
      throw cardError('VERIFY (retry counter)', r.sw);
    },

    async verifyPin(pin: string) {
      const bytes = new TextEncoder().encode(pin);
      const command = verifyPin(bytes);
      let r: ResponseApdu;
      try {
        r = await send(transport, command);
      } finally {
        bytes.fill(0);
        command.fill(0);
      }
      if (r.sw === SW.OK) return;
      const checked = checkStatusWord(r.sw);
      if (meansPinBlocked(checked)) {
        throw new HpkiError('ERR_HPKI_PIN_BLOCKED', 'the PIN is blocked after too many wrong attempts', {
          retriesLeft: 0,
        });
      }
      if (checked.kind === 'retries') {
        throw new HpkiError('ERR_HPKI_PIN_INCORRECT', `wrong PIN, ${checked.retriesLeft} tries left`, {
          retriesLeft: checked.retriesLeft,
        });
      }
      throw cardError('VERIFY', r.sw);
    },

    async sign(digestInfo: Uint8Array) {
      if (!isSha256DigestInfo(digestInfo)) throw new HpkiError('ERR_HPKI_INVALID_ARGUMENT', 'not a SHA-256 DigestInfo');
      const keyLength = await signingKeyLength();
      let r = await signIso(digestInfo, keyLength);
      if (SIGN_FALLBACK_STATUS.has(r.sw)) r = await signProprietary(digestInfo);
      if (r.sw !== SW.OK)
        throw cardError(r.sw === SW.SECURITY_NOT_SATISFIED ? 'to sign without a verified PIN' : 'signing', r.sw);
      if (r.data.length !== keyLength)
        throw new HpkiError('ERR_HPKI_INTERNAL', 'the card returned a signature of the wrong length');
      return r.data.slice();
    },

    close: () => transport.close(),
  };
  return token;
}
