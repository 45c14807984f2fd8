import { X509Certificate } from 'node:crypto';
import { HpkiError } from '../../protocol/errors.js';
import type { CardType, PinApplication } from '../../protocol/messages.js';
import { emsaPkcs1v15 } from '../../protocol/signed-data.js';
import { type ApduTransport, ReaderRefusedError } from '../transport/index.js';
import {
  mseSetSigningKey,
  parseResponse,
  proprietarySign,
  psoComputeSignature,
  psoComputeSignatureChained,
  type ResponseApdu,
  selectAid,
  selectAidNoFci,
  selectEf,
} from './apdu.js';
import type { CardCertificates, CardToken, PinStatus } from './card-token.js';
import { issuerAndSerialLength } from './certificate-identity.js';
import {
  FID_CDF,
  FID_CERTIFICATE,
  FID_PRIVATE_KEY,
  HPKI_AUTH_AID,
  HPKI_SIGN_AID,
  JPKI_AID,
  MAX_CDF_LENGTH,
  MAX_FILE_LENGTH,
} from './constants.js';
import {
  createFileReader,
  newReadModes,
  type ReadModes,
  readDerFile,
  readFilePrefix,
  readRawFile,
} from './file-reader.js';
import { signableBy } from './key-use.js';
import { changePin, presentPin, readPinStatus } from './pin-commands.js';
import { certificateFidsFromCdf } from './pkcs15-cdf.js';
import { describeStatusWord, meansExtendedLengthRefused, SIGN_FALLBACK_STATUS, SW } from './status-words.js';

/**
 * The HPKI card driver over raw APDUs (HPKI-CARD.md §2), for the authentication AP (login) or the
 * signing AP (documents), one per token. It keeps the certificate it read so that one command reads
 * it once, reads files in as few APDUs as the card and reader allow (file-reader.ts), takes CA
 * certificates from the cache when they fit, and never retries a PIN (pin-commands.ts).
 */

function cardError(step: string, sw: number): HpkiError {
  return new HpkiError('ERR_HPKI_INTERNAL', `card refused ${step}: ${describeStatusWord(sw)}`);
}

async function send(transport: ApduTransport, command: Uint8Array): Promise<ResponseApdu> {
  return parseResponse(await transport.transmit(command));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
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
 * Where the CA certificates of an end-entity certificate were kept from an earlier read (on disk, per
 * user): looked up before the card's CDF is read. A lookup gives only certificates that fit the end
 * entity (issuer name and key identifier), so a stale or corrupt entry is never used.
 */
export interface CaCertificateCache {
  lookup(certificate: Uint8Array): Uint8Array[] | undefined;
  store(certificate: Uint8Array, caCertificates: readonly Uint8Array[]): void;
}

export interface HpkiTokenOptions {
  /** Which AP to open (default `auth`). */
  application?: PinApplication | undefined;
  caCache?: CaCertificateCache | undefined;
  /** What this reader and card accept (extended length, short EF identifiers), kept for the session. */
  readModes?: ReadModes | undefined;
}

/** Selects the signing AP; a card without it is told apart (HPKI without it, My Number, other). */
async function selectSigningAp(transport: ApduTransport): Promise<CardType> {
  const sign = await send(transport, selectAid(HPKI_SIGN_AID));
  if (sign.sw === SW.OK) return 'hpki';
  const cardType = await detectCardType(transport);
  if (cardType === 'hpki') {
    throw new HpkiError(
      'ERR_HPKI_UNSUPPORTED_CARD',
      `this HPKI card has no signing application (${describeStatusWord(sign.sw)})`,
    );
  }
  return cardType;
}

/**
 * Opens the authentication AP (or, with `application: 'sign'`, the signing AP) of an HPKI card on
 * `transport`. Anything else (a My Number card, an unknown card) fails with ERR_HPKI_UNSUPPORTED_CARD.
 * The token owns the transport: close() closes it.
 */
export async function openHpkiToken(transport: ApduTransport, options: HpkiTokenOptions = {}): Promise<CardToken> {
  const application = options.application ?? 'auth';
  const cardType = await (application === 'sign' ? selectSigningAp(transport) : detectCardType(transport)).catch(
    async (err: unknown) => {
      await transport.close();
      throw err;
    },
  );
  if (cardType !== 'hpki') {
    await transport.close();
    throw unsupported(cardType);
  }
  // The AP is selected now; selecting EFs inside it keeps it selected.
  return createHpkiApduToken(transport, application, options.caCache, options.readModes ?? newReadModes());
}

function createHpkiApduToken(
  transport: ApduTransport,
  application: PinApplication,
  caCache: CaCertificateCache | undefined,
  readModes: ReadModes,
): CardToken {
  const reader = createFileReader(transport, readModes);
  let certificates: CardCertificates | undefined;
  let modulusBytes: number | undefined;

  async function readCaCertificates(): Promise<Uint8Array[]> {
    const cdf = await readRawFile(reader, FID_CDF, MAX_CDF_LENGTH);
    if (cdf === undefined) return [];
    const out: Uint8Array[] = [];
    for (const fid of certificateFidsFromCdf(cdf)) {
      if (fid === FID_CERTIFICATE) continue;
      const what = `CA certificate ${fid.toString(16).padStart(4, '0')}`;
      out.push(await readDerFile(reader, fid, what, MAX_FILE_LENGTH));
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

  /** PSO:CDS in two chained short commands, for a card or reader without extended length. */
  async function psoChained(block: Uint8Array): Promise<ResponseApdu> {
    const [first, last] = psoComputeSignatureChained(block);
    const r = await send(transport, first);
    return r.sw === SW.OK ? send(transport, last) : r;
  }

  /** PSO:CDS with extended Lc and Le (form A as cards take it); undefined when refused for its length. */
  async function psoExtended(block: Uint8Array): Promise<ResponseApdu | undefined> {
    let r: ResponseApdu;
    try {
      r = await send(transport, psoComputeSignature(block));
    } catch (err) {
      if (err instanceof ReaderRefusedError) return undefined;
      throw err;
    }
    // Refused for its length: the card has seen no signing command, and the PIN stays verified.
    return meansExtendedLengthRefused(r.sw) ? undefined : r;
  }

  async function signIso(digestInfo: Uint8Array, keyLength: number): Promise<ResponseApdu> {
    const mse = await send(transport, mseSetSigningKey());
    if (mse.sw !== SW.OK) return mse;
    const block = emsaPkcs1v15(digestInfo, keyLength);
    if (readModes.extended !== false) {
      const r = await psoExtended(block);
      if (r !== undefined) return r;
      readModes.extended = false;
      return psoChained(block);
    }
    const chained = await psoChained(block);
    // Extended READ BINARY was refused, but a card without chaining may still take an extended PSO:CDS.
    if (chained.sw !== SW.CHAINING_NOT_SUPPORTED) return chained;
    return (await psoExtended(block)) ?? chained;
  }

  async function signProprietary(digestInfo: Uint8Array): Promise<ResponseApdu> {
    const key = await send(transport, selectEf(FID_PRIVATE_KEY));
    if (key.sw !== SW.OK) return key;
    return send(transport, proprietarySign(digestInfo));
  }

  const token: CardToken = {
    cardType: 'hpki',
    application,

    async readCertificate() {
      if (certificates !== undefined) return certificates;
      const certificate = await readDerFile(reader, FID_CERTIFICATE, 'certificate', MAX_FILE_LENGTH);
      let intermediates = caCache?.lookup(certificate);
      if (intermediates === undefined) {
        intermediates = await readCaCertificates();
        caCache?.store(certificate, intermediates);
      }
      certificates = { certificate, intermediates };
      return certificates;
    },

    async confirmCertificates(expected) {
      const length = issuerAndSerialLength(expected.certificate);
      if (length === undefined) {
        const { certificate } = await token.readCertificate();
        return sameBytes(certificate, expected.certificate);
      }
      const onCard = await readFilePrefix(reader, FID_CERTIFICATE, length, 'certificate');
      if (!sameBytes(onCard, expected.certificate.subarray(0, length))) return false;
      certificates = expected;
      return true;
    },

    pinStatus: (): Promise<PinStatus> => readPinStatus(transport),

    verifyPin: (pin: string) => presentPin(transport, pin),

    changePin: (pin: string, newPin: string) => changePin(transport, pin, newPin),

    async sign(digestInfo: Uint8Array) {
      if (!signableBy(application, digestInfo)) {
        throw new HpkiError('ERR_HPKI_INVALID_ARGUMENT', `not a DigestInfo the ${application} key signs`);
      }
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
