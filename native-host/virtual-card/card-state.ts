import { createPrivateKey, createPublicKey, type KeyObject, X509Certificate } from 'node:crypto';
import { type CardApplicationFile, decodeDer, type PinRecord } from './card-file.js';
import { buildApplicationFiles, type ElementaryFile, type Purpose } from './pkcs15-layout.js';

/**
 * What the HPKI virtual card holds (its two applications) and what it remembers between commands
 * until a reset (selection, verified PINs, the security environment, a command chain).
 */

export const HPKI_RID = Uint8Array.of(0xe8, 0x28, 0xbd, 0x08, 0x0f);
export const HPKI_SIGN_AID = Uint8Array.of(0xe8, 0x28, 0xbd, 0x08, 0x0f, 0xa0, 0, 0, 0x03, 0x91, 0, 0, 0, 0, 0, 0x01);
export const HPKI_AUTH_AID = Uint8Array.of(0xe8, 0x28, 0xbd, 0x08, 0x0f, 0xa0, 0, 0, 0x03, 0x91, 0, 0, 0, 0, 0, 0x02);
export const JPKI_AID = Uint8Array.of(0xd3, 0x92, 0xf0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01);

/** The RSA-2048 block both signing forms work on. */
export const KEY_BYTES = 256;

export interface CardApplication {
  purpose: Purpose;
  aid: Uint8Array;
  files: Map<number, ElementaryFile>;
  /** Mutable: the retry counter lives here and is persisted through `CardContext.persistPin`. */
  pin: PinRecord;
  privateKey: KeyObject;
}

export interface CardSession {
  current: CardApplication | undefined;
  currentEf: ElementaryFile | undefined;
  verified: Set<Purpose>;
  /** MSE:SET named the private key 000C for the current application. */
  signingKeySet: boolean;
  /** Data of a command chain (CLA 10) not yet ended. */
  chain: { ins: number; p1: number; p2: number; parts: Uint8Array[]; length: number } | undefined;
}

export interface CardContext {
  /** In selection order: partial selection by RID finds the signing AP first, then the auth AP. */
  applications: CardApplication[];
  session: CardSession;
  /** The answer to VERIFY with data once the counter is 0 (6984 by default, see createVirtualCard). */
  blockedStatusWord: number;
  signingForms: { iso: boolean; proprietary: boolean };
  /** False for a card without extended length: every extended command is answered 6700. */
  extendedLength: boolean;
  persistPin(): void;
}

export function newSession(): CardSession {
  return { current: undefined, currentEf: undefined, verified: new Set(), signingKeySet: false, chain: undefined };
}

/** Builds one application from its part of the card file, checking that key and certificate belong together. */
export function loadApplication(purpose: Purpose, file: CardApplicationFile): CardApplication {
  const certificate = decodeDer(file.certificate);
  const privateKey = createPrivateKey({
    key: Buffer.from(decodeDer(file.privateKeyPkcs8)),
    format: 'der',
    type: 'pkcs8',
  });
  if (privateKey.asymmetricKeyType !== 'rsa' || privateKey.asymmetricKeyDetails?.modulusLength !== KEY_BYTES * 8) {
    throw new Error(`the ${purpose} key of the card file is not RSA-2048`);
  }
  const fromKey = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  const fromCert = new X509Certificate(certificate).publicKey.export({ type: 'spki', format: 'der' });
  if (!fromKey.equals(fromCert)) throw new Error(`the ${purpose} key of the card file does not match its certificate`);
  return {
    purpose,
    aid: purpose === 'auth' ? HPKI_AUTH_AID : HPKI_SIGN_AID,
    files: buildApplicationFiles({ purpose, certificate, caCertificates: file.caCertificates.map(decodeDer) }),
    pin: file.pin,
    privateKey,
  };
}

export function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  return prefix.length <= bytes.length && prefix.every((b, i) => bytes[i] === b);
}
