import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { decodeBase64Strict, encodeBase64 } from '../../protocol/base64.js';
import { PIN_PATTERN } from '../../protocol/challenge.js';
import { issueHolderCertificates, type MockPki, writeCurrentCrls } from '../mock-pki/index.js';

/**
 * The virtual card's file: what is on the card (certificates, keys) and the state that must survive a
 * restart (the PIN retry counters). The PIN itself is kept only as a salted SHA-256.
 */

export const CARD_FILE_FORMAT = 'hpki-login-virtual-card';
/** HPKI-CARD.md §3: locked after 15 consecutive wrong PINs. */
export const HPKI_PIN_MAX_RETRIES = 15;
const MAX_CARD_FILE_BYTES = 64 * 1024;

const base64Der = (maxBytes: number) =>
  z
    .string()
    .max(Math.ceil(maxBytes / 3) * 4)
    .refine((s) => decodeBase64Strict(s) !== undefined, 'must be canonical base64');

const pinSchema = z
  .object({
    salt: z.string().regex(/^[0-9a-f]{32}$/),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    retriesLeft: z.number().int().min(0).max(15),
    maxRetries: z.number().int().min(1).max(15),
  })
  .strict()
  .refine((p) => p.retriesLeft <= p.maxRetries, 'retriesLeft exceeds maxRetries');

const applicationSchema = z
  .object({
    certificate: base64Der(8 * 1024),
    privateKeyPkcs8: base64Der(4 * 1024),
    /** Nearest first: the issuing CA, then the root. */
    caCertificates: z.array(base64Der(8 * 1024)).max(4),
    pin: pinSchema,
  })
  .strict();

const hpkiCardSchema = z
  .object({
    format: z.literal(CARD_FILE_FORMAT),
    version: z.literal(1),
    kind: z.literal('hpki'),
    /** For people reading the file; the card answers from the certificates. */
    holder: z
      .object({ name: z.string().max(256), nameJa: z.string().max(256).optional(), role: z.string().max(256) })
      .strict(),
    applications: z.object({ auth: applicationSchema, sign: applicationSchema }).strict(),
  })
  .strict();

/** A My Number card: only card detection is modelled (it answers the JPKI AID, not the HPKI ones). */
const jpkiCardSchema = z
  .object({ format: z.literal(CARD_FILE_FORMAT), version: z.literal(1), kind: z.literal('jpki') })
  .strict();

export const cardFileSchema = z.discriminatedUnion('kind', [hpkiCardSchema, jpkiCardSchema]);

export type CardFile = z.infer<typeof cardFileSchema>;
export type HpkiCardFile = z.infer<typeof hpkiCardSchema>;
export type CardApplicationFile = z.infer<typeof applicationSchema>;
export type PinRecord = z.infer<typeof pinSchema>;

export function decodeDer(base64: string): Uint8Array {
  const bytes = decodeBase64Strict(base64);
  if (bytes === undefined) throw new Error('card file holds invalid base64');
  return bytes;
}

function pinHash(salt: Buffer, pin: Uint8Array): Buffer {
  return createHash('sha256').update(salt).update(pin).digest();
}

export function makePinRecord(pin: string, maxRetries = HPKI_PIN_MAX_RETRIES): PinRecord {
  if (!PIN_PATTERN.test(pin)) throw new RangeError('the PIN must be 4–16 printable ASCII characters');
  const salt = randomBytes(16);
  const hash = pinHash(salt, new TextEncoder().encode(pin));
  return { salt: salt.toString('hex'), sha256: hash.toString('hex'), retriesLeft: maxRetries, maxRetries };
}

/** Compares a presented PIN with the record in constant time (for equal-length hashes). */
export function pinMatches(record: PinRecord, presented: Uint8Array): boolean {
  const expected = Buffer.from(record.sha256, 'hex');
  return timingSafeEqual(pinHash(Buffer.from(record.salt, 'hex'), presented), expected);
}

export function loadCardFile(path: string): CardFile {
  const size = statSync(path).size;
  if (size > MAX_CARD_FILE_BYTES) throw new Error(`${path} is too large for a card file`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new Error(`${path} is not JSON`);
  }
  const parsed = cardFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(
      `${path} is not a virtual card file: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim(),
    );
  }
  return parsed.data;
}

/**
 * Writes the card file synchronously, via a temporary file and a rename, so that a counter change
 * is on disk before the card answers and a crash never leaves half a file. Mode 0600: it holds keys.
 */
export function saveCardFile(path: string, file: CardFile): void {
  const temp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
    renameSync(temp, path);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
}

export interface CreateCardFileOptions {
  pki: MockPki;
  name: string;
  nameJa?: string;
  role: string;
  pin: string;
  /** The signing application's PIN, when it differs from `pin`. */
  signPin?: string;
  /** The subject serialNumber (holder id); a renewed card of the same holder keeps it. Default: made from the serial. */
  holderId?: string;
  expired?: boolean;
  notYetValid?: boolean;
  revoked?: boolean;
  kind?: 'hpki' | 'jpki';
}

/** Issues a holder's certificates from the mock PKI and writes a card holding them. */
export async function createCardFile(path: string, options: CreateCardFileOptions): Promise<void> {
  if ((options.kind ?? 'hpki') === 'jpki') {
    saveCardFile(path, { format: CARD_FILE_FORMAT, version: 1, kind: 'jpki' });
    return;
  }
  const pin = makePinRecord(options.pin);
  const signPin = options.signPin === undefined ? pin : makePinRecord(options.signPin);
  const issued = await issueHolderCertificates(options.pki, {
    name: options.name,
    role: options.role,
    ...(options.nameJa === undefined ? {} : { nameJa: options.nameJa }),
    ...(options.holderId === undefined ? {} : { id: options.holderId }),
    ...(options.expired === undefined ? {} : { expired: options.expired }),
    ...(options.notYetValid === undefined ? {} : { notYetValid: options.notYetValid }),
    ...(options.revoked === undefined ? {} : { revoked: options.revoked }),
  });
  // Every card made from a PKI finds CRLs beside it that are fresh at the time the card was made.
  await writeCurrentCrls(options.pki);
  const root = encodeBase64(options.pki.root.certificate);
  const application = (
    ee: { certificate: Uint8Array; privateKeyPkcs8: Uint8Array },
    ca: Uint8Array,
    pin: PinRecord,
  ): CardApplicationFile => ({
    certificate: encodeBase64(ee.certificate),
    privateKeyPkcs8: encodeBase64(ee.privateKeyPkcs8),
    caCertificates: [encodeBase64(ca), root],
    // Separate PIN objects per AP (HPKI-CARD.md §1), issued with the same PIN unless told otherwise.
    pin: { ...pin },
  });
  saveCardFile(path, {
    format: CARD_FILE_FORMAT,
    version: 1,
    kind: 'hpki',
    holder: {
      name: options.name,
      ...(options.nameJa === undefined ? {} : { nameJa: options.nameJa }),
      role: options.role,
    },
    applications: {
      auth: application(issued.auth, options.pki.authCa.certificate, pin),
      sign: application(issued.sign, options.pki.signCa.certificate, signPin),
    },
  });
}

/** Reads one AP's certificate + key out of a card file (used to export it into a PKCS#11 token). */
export function readKeyPair(
  file: CardFile,
  application: 'auth' | 'sign',
): {
  certificate: Uint8Array;
  privateKeyPkcs8: Uint8Array;
  caCertificates: Uint8Array[];
} {
  if (file.kind !== 'hpki') throw new Error('a My Number card file holds no HPKI key pair');
  const app = file.applications[application];
  return {
    certificate: decodeDer(app.certificate),
    privateKeyPkcs8: decodeDer(app.privateKeyPkcs8),
    caCertificates: app.caCertificates.map(decodeDer),
  };
}

/** Reads the auth AP's certificate + key out of a card file. */
export function readAuthKeyPair(file: CardFile): ReturnType<typeof readKeyPair> {
  return readKeyPair(file, 'auth');
}
