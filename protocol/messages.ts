import * as z from 'zod/mini';
import { decodeBase64Strict } from './base64.js';
import { CHALLENGE_PATTERN, PIN_PATTERN } from './challenge.js';
import { HASH_ALGORITHMS, HASH_LENGTHS, SIGNATURE_ALGORITHMS } from './digest-info.js';
import { MAX_PIN_RETRIES, wireErrorSchema } from './errors.js';
import { MAX_ORIGIN_LENGTH } from './origin.js';
import { base64Field, MAX_INTERMEDIATES, tokenSchema } from './token.js';

/**
 * Messages between the extension and the native host (PROTOCOL.md §2): one schema per message, every
 * type inferred from its schema. Every message that crosses the process boundary is parsed with
 * these, on both sides.
 */

export { PROTOCOL_VERSION } from './version.js';
export const NATIVE_HOST_NAME = 'jp.hpkilogin.host';
/** A message from the browser to the host. */
export const MAX_BROWSER_MESSAGE_BYTES = 8 * 1024;
/** A message from the host to the browser. */
export const MAX_HOST_MESSAGE_BYTES = 64 * 1024;
/** The longest PC/SC reader name accepted or sent. */
export const MAX_READER_NAME_LENGTH = 256;
/** The most readers one `status` lists. */
export const MAX_READERS = 32;

const readerName = z.string().check(z.minLength(1), z.maxLength(MAX_READER_NAME_LENGTH));
/** Lowercase hex SHA-256 of a certificate's DER. */
const sha256Hex = z.string().check(z.regex(/^[0-9a-f]{64}$/));
/** Names, roles and issuer names read from a certificate, for display. */
const displayText = z.string().check(z.maxLength(256));

/** A request id: echoed back unchanged so the caller can pair answers. */
export const requestIdSchema = z.union([z.string().check(z.maxLength(128)), z.int()]);
export type RequestId = z.infer<typeof requestIdSchema>;

/** What kind of card sits in a reader: an HPKI card, a My Number card (JPKI), or something else. */
export const cardTypeSchema = z.enum(['hpki', 'jpki', 'unknown']);
export type CardType = z.infer<typeof cardTypeSchema>;

export const backendSchema = z.enum(['pcsc', 'pkcs11', 'mock']);
export type Backend = z.infer<typeof backendSchema>;

// ── requests ────────────────────────────────────────────────────────────────────────────────────

export const statusRequestSchema = z.strictObject({
  /** Chosen by the extension; the answer (and any event frame of this request) carries it back. */
  id: requestIdSchema,
  /** Which readers there are and what card each holds; touches no PIN. */
  command: z.literal('status'),
  /** None. */
  params: z.optional(z.strictObject({})),
});

export const getCertificateParamsSchema = z.strictObject({
  /** The reader to use; without it, the one reader that holds a card. */
  reader: z.optional(readerName),
});

export const getCertificateRequestSchema = z.strictObject({
  /** Chosen by the extension; the answer (and any event frame of this request) carries it back. */
  id: requestIdSchema,
  /** Reads the authentication certificate and what the PIN window shows of it. */
  command: z.literal('get-certificate'),
  /** Optionally the reader to read from. */
  params: z.optional(getCertificateParamsSchema),
});

export const authenticateParamsSchema = z.strictObject({
  /** The page's origin, taken by the extension from the browser's sender information. */
  origin: z.string().check(z.minLength(1), z.maxLength(MAX_ORIGIN_LENGTH)),
  /** The site's challenge, as issued. */
  challenge: z.string().check(z.regex(CHALLENGE_PATTERN)),
  /** The PIN typed in the extension's own window. Never logged or echoed. */
  pin: z.string().check(z.regex(PIN_PATTERN)),
  /** Lowercase hex SHA-256 of the certificate the user saw in the PIN window. */
  certificateSha256: sha256Hex,
  /** The reader the certificate was read from. */
  reader: z.optional(readerName),
});
export type AuthenticateParams = z.infer<typeof authenticateParamsSchema>;

export const authenticateRequestSchema = z.strictObject({
  /** Chosen by the extension; the answer (and any event frame of this request) carries it back. */
  id: requestIdSchema,
  /** Verifies the PIN and signs the §3 content with the authentication key. */
  command: z.literal('authenticate'),
  /** What is signed (origin, challenge), for which certificate, and the PIN. */
  params: authenticateParamsSchema,
});

// ── document signing and PINs (PROTOCOL.md §11) ──────────────────────────────────────────────────

export const getSigningCertificateRequestSchema = z.strictObject({
  /** Chosen by the extension; the answer (and any event frame of this request) carries it back. */
  id: requestIdSchema,
  /** Reads the signing application's certificate and PIN counter (as get-certificate does for login). */
  command: z.literal('get-signing-certificate'),
  /** Optionally the reader to read from. */
  params: z.optional(getCertificateParamsSchema),
});

/** A PIN field: 4–16 printable ASCII (HPKI-CARD.md §3). Never logged or echoed. */
const pinField = z.string().check(z.regex(PIN_PATTERN));

export const signParamsSchema = z
  .strictObject({
    /** The page's origin, taken by the extension from the browser's sender information. */
    origin: z.string().check(z.minLength(1), z.maxLength(MAX_ORIGIN_LENGTH)),
    /** The hash function the site used; the host builds the DigestInfo for it. */
    hashAlgorithm: z.enum(HASH_ALGORITHMS),
    /** Standard base64 (with padding) of the site's hash, exactly the digest length of `hashAlgorithm`. */
    hash: z.string().check(z.minLength(44), z.maxLength(88)),
    /** Lowercase hex SHA-256 of the signing certificate the user consented to give. */
    certificateSha256: sha256Hex,
    /** The signing PIN typed in the extension's own window. Never logged or echoed. */
    pin: pinField,
    /** The reader the signing certificate was read from. */
    reader: z.optional(readerName),
  })
  .check(
    z.refine((p) => decodeBase64Strict(p.hash)?.length === HASH_LENGTHS[p.hashAlgorithm], {
      path: ['hash'],
      message: 'not a hash of hashAlgorithm',
    }),
  );
export type SignParams = z.infer<typeof signParamsSchema>;

export const signRequestSchema = z.strictObject({
  /** Chosen by the extension; the answer (and any event frame of this request) carries it back. */
  id: requestIdSchema,
  /** Verifies the signing PIN once and signs DigestInfo(hash) once with the signing key. */
  command: z.literal('sign'),
  /** What is signed (a site's hash), for which certificate, and the signing PIN. */
  params: signParamsSchema,
});

/** The card's two applications, each with its own PIN: login (`auth`) and document signing (`sign`). */
export const pinApplicationSchema = z.enum(['auth', 'sign']);
export type PinApplication = z.infer<typeof pinApplicationSchema>;

export const changePinParamsSchema = z.strictObject({
  /** Whose PIN changes: the authentication (login) application's or the signing application's. */
  application: pinApplicationSchema,
  /** The current PIN, checked once. Never logged or echoed. */
  pin: pinField,
  /** The new PIN, 4–16 printable ASCII, checked before anything reaches the card. Never logged or echoed. */
  newPin: pinField,
  /** The reader holding the card. */
  reader: z.optional(readerName),
});
export type ChangePinParams = z.infer<typeof changePinParamsSchema>;

export const changePinRequestSchema = z.strictObject({
  /** Chosen by the extension; the answer (and any event frame of this request) carries it back. */
  id: requestIdSchema,
  /** Changes one application's PIN (CHANGE REFERENCE DATA) after checking the current one once. */
  command: z.literal('change-pin'),
  /** Which application, the current PIN and the new one. */
  params: changePinParamsSchema,
});

/** The longest a `find-cards` may wait for a card (the PIN window's own limit). */
export const MAX_CARD_WAIT_MS = 600_000;
/** The most HPKI cards one `find-cards` reads and offers for a choice. */
export const MAX_CARD_CHOICES = 8;

export const findCardsParamsSchema = z.strictObject({
  /**
   * With no card in any reader, wait this long for one (PC/SC reader status changes, not polling
   * the card), telling the caller first with a `waiting-for-card` event. 0 or absent: do not wait.
   */
  waitMs: z.optional(z.int().check(z.minimum(0), z.maximum(MAX_CARD_WAIT_MS))),
});
export type FindCardsParams = z.infer<typeof findCardsParamsSchema>;

/**
 * `find-cards`: every card in every reader, the HPKI ones read as `get-certificate` reads one (so a
 * single card needs no second read), the others only named with their type (a My Number card).
 */
export const findCardsRequestSchema = z.strictObject({
  /** Chosen by the extension; the answer (and any event frame of this request) carries it back. */
  id: requestIdSchema,
  /** Every card present, the HPKI ones read; waits for a card when there is none. */
  command: z.literal('find-cards'),
  /** How long to wait for a card. */
  params: z.optional(findCardsParamsSchema),
});

/**
 * `watch-card`: answered at once; afterwards, when the card leaves `reader`, the host sends one
 * `card-removed` event frame (without an id). A later `watch-card` or `find-cards` replaces the
 * watch; it ends with the session.
 */
export const watchCardRequestSchema = z.strictObject({
  /** Chosen by the extension; the answer (and any event frame of this request) carries it back. */
  id: requestIdSchema,
  /** Reports (as an event frame) when the card leaves the named reader. */
  command: z.literal('watch-card'),
  /** The reader whose card is watched (from find-cards or get-certificate). */
  params: z.strictObject({ reader: readerName }),
});

export const hostRequestSchema = z.discriminatedUnion('command', [
  statusRequestSchema,
  getCertificateRequestSchema,
  authenticateRequestSchema,
  findCardsRequestSchema,
  watchCardRequestSchema,
  getSigningCertificateRequestSchema,
  signRequestSchema,
  changePinRequestSchema,
]);
export type HostRequest = z.infer<typeof hostRequestSchema>;
export type HostCommand = HostRequest['command'];

// ── results ─────────────────────────────────────────────────────────────────────────────────────

export const readerStatusSchema = z.strictObject({
  /** The PC/SC reader name (or the PKCS#11 slot description). */
  name: z.string().check(z.maxLength(MAX_READER_NAME_LENGTH)),
  /** Whether a card sits in the reader (of any kind). */
  cardPresent: z.boolean(),
  /** Null when no card is present. */
  cardType: z.nullable(cardTypeSchema),
});
export type ReaderStatus = z.infer<typeof readerStatusSchema>;

export const statusResultSchema = z.strictObject({
  /** Every reader the host sees, in the order PC/SC (or the module) lists them. */
  readers: z.array(readerStatusSchema).check(z.maxLength(MAX_READERS)),
});
export type StatusResult = z.infer<typeof statusResultSchema>;

export const holderSchema = z.strictObject({
  /** Romaji name from the certificate's CN. */
  name: displayText,
  /** Japanese name from the SAN dirName, when present. */
  nameJa: z.optional(displayText),
  /** The hcRole, e.g. "Medical Doctor" ("" when the certificate has none). */
  role: displayText,
});
export type Holder = z.infer<typeof holderSchema>;

export const getCertificateResultSchema = z.strictObject({
  /** The reader the certificate was read from; pass it back to `authenticate`. */
  reader: z.string().check(z.maxLength(MAX_READER_NAME_LENGTH)),
  /** Which kind of card it is (always an HPKI card here; others end in an error). */
  cardType: cardTypeSchema,
  /** Standard base64 DER of the authentication certificate. */
  certificate: base64Field,
  /** Lowercase hex SHA-256 of the certificate's DER: `authenticate` sends it back. */
  certificateSha256: sha256Hex,
  /** The issuing CA's common name (its whole DN when it has none), for display. */
  issuer: displayText,
  /**
   * The issuing organisation as a doctor knows it (日本医師会認証局, MEDIS, else the issuer's O), for the
   * PIN window's one line; an addition to PROTOCOL.md §2 (docs/protocol-choices.md).
   */
  issuerOrganization: z.optional(displayText),
  /** The certificate's notAfter, ISO time, for display. */
  notAfter: z.iso.datetime(),
  /** Standard base64 DER of the CA certificates read from the card, nearest first. */
  intermediates: z.array(base64Field).check(z.maxLength(MAX_INTERMEDIATES)),
  /** Who the card belongs to, from the certificate, for display. */
  holder: holderSchema,
  /** PIN tries left before the card locks. */
  pinRetriesLeft: z.int().check(z.minimum(0), z.maximum(MAX_PIN_RETRIES)),
  /** The card's PIN try limit. */
  pinMaxRetries: z.int().check(z.minimum(1), z.maximum(MAX_PIN_RETRIES)),
});
export type GetCertificateResult = z.infer<typeof getCertificateResultSchema>;

export const authenticateResultSchema = z.strictObject({
  /** The login token of PROTOCOL.md §4. */
  token: tokenSchema,
});
export type AuthenticateResult = z.infer<typeof authenticateResultSchema>;

export const findCardsResultSchema = z.strictObject({
  /** The HPKI cards, one per reader, as `get-certificate` describes each. */
  cards: z.array(getCertificateResultSchema).check(z.maxLength(MAX_CARD_CHOICES)),
  /** Readers holding a card that is not an HPKI card (or could not be read). */
  others: z
    .array(z.strictObject({ reader: z.string().check(z.maxLength(MAX_READER_NAME_LENGTH)), cardType: cardTypeSchema }))
    .check(z.maxLength(MAX_READERS)),
});
export type FindCardsResult = z.infer<typeof findCardsResultSchema>;

export const watchCardResultSchema = z.strictObject({});
export type WatchCardResult = z.infer<typeof watchCardResultSchema>;

/** The largest RSA signature an HPKI card could return (RSA-4096), as base64. */
const MAX_SIGNATURE_BASE64 = 684;

export const signResultSchema = z.strictObject({
  /** Standard base64 of the RSASSA-PKCS1-v1_5 signature made by the signing key. */
  signature: z.string().check(z.minLength(4), z.maxLength(MAX_SIGNATURE_BASE64)),
  /** RSASSA-PKCS1-v1_5 with the request's hash, in JOSE's names. */
  signatureAlgorithm: z.enum(Object.values(SIGNATURE_ALGORITHMS)),
});
export type SignResult = z.infer<typeof signResultSchema>;

export const changePinResultSchema = z.strictObject({});
export type ChangePinResult = z.infer<typeof changePinResultSchema>;

export interface HostResultMap {
  status: StatusResult;
  'get-certificate': GetCertificateResult;
  authenticate: AuthenticateResult;
  'find-cards': FindCardsResult;
  'watch-card': WatchCardResult;
  'get-signing-certificate': GetCertificateResult;
  sign: SignResult;
  'change-pin': ChangePinResult;
}

const resultSchemas: { [C in HostCommand]: z.ZodMiniType<HostResultMap[C]> } = {
  status: statusResultSchema,
  'get-certificate': getCertificateResultSchema,
  authenticate: authenticateResultSchema,
  'find-cards': findCardsResultSchema,
  'watch-card': watchCardResultSchema,
  'get-signing-certificate': getCertificateResultSchema,
  sign: signResultSchema,
  'change-pin': changePinResultSchema,
};

// ── host → browser events ──────────────────────────────────────────────────────────────────────

/**
 * An event frame: `{"id": <request id>, "event": …}` before the result of the request it belongs to
 * (`waiting-for-card` during `find-cards`), or `{"event": …}` with no id for what happens between
 * requests (`card-removed` after `watch-card`). Answers still come in the order of their requests.
 */
export const hostEventSchema = z.strictObject({
  /** The request the event belongs to; absent for events between requests. */
  id: z.optional(requestIdSchema),
  /** What happened. */
  event: z.discriminatedUnion('type', [
    /** No card in any reader (or no reader): the host waits for one. */
    z.strictObject({ type: z.literal('waiting-for-card') }),
    /** The watched card left its reader. */
    z.strictObject({ type: z.literal('card-removed'), reader: z.string().check(z.maxLength(MAX_READER_NAME_LENGTH)) }),
  ]),
});
export type HostEvent = z.infer<typeof hostEventSchema>;
export type HostEventBody = HostEvent['event'];

// ── host → browser frames ───────────────────────────────────────────────────────────────────────

export const helloSchema = z.strictObject({
  hello: z.strictObject({
    /** The protocol version the host speaks (PROTOCOL_VERSION). */
    protocol: z.int(),
    /** The host's own version (semver). */
    version: z.string().check(z.maxLength(64)),
    /** How the host reaches the card: PC/SC, PKCS#11, or the virtual card. */
    backend: backendSchema,
  }),
});
export type HelloMessage = z.infer<typeof helloSchema>;

export const hostErrorResponseSchema = z.strictObject({
  /** The request's id; null when the request was too malformed to carry one. */
  id: z.nullable(requestIdSchema),
  /** What went wrong (PROTOCOL.md §8). */
  error: wireErrorSchema,
});
export type HostErrorResponse = z.infer<typeof hostErrorResponseSchema>;

export interface HostResultResponse<C extends HostCommand = HostCommand> {
  id: RequestId;
  result: HostResultMap[C];
}

export type HostResponse = HostResultResponse | HostErrorResponse;

const resultEnvelopeSchema = z.strictObject({ id: requestIdSchema, result: z.unknown() });

/** Parses the host's answer to a request of the given command (used by the extension). */
export function parseHostResponse<C extends HostCommand>(
  command: C,
  value: unknown,
): HostResultResponse<C> | HostErrorResponse | undefined {
  const asError = hostErrorResponseSchema.safeParse(value);
  if (asError.success) return asError.data;
  const envelope = resultEnvelopeSchema.safeParse(value);
  if (!envelope.success) return undefined;
  const result = resultSchemas[command].safeParse(envelope.data.result);
  return result.success ? { id: envelope.data.id, result: result.data } : undefined;
}
