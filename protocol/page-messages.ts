import * as z from 'zod/mini';
import { decodeBase64Strict } from './base64.js';
import { CHALLENGE_PATTERN } from './challenge.js';
import { HASH_ALGORITHMS, HASH_LENGTHS } from './digest-info.js';
import { wireErrorSchema } from './errors.js';
import { getCertificateResultSchema, signResultSchema } from './messages.js';
import { sameOriginPathSchema } from './origin.js';
import { MAX_USER_TIMEOUT_MS, MIN_USER_TIMEOUT_MS } from './timeouts.js';
import { tokenSchema } from './token.js';

/**
 * A site's side of the protocol: the messages between its page and the content script (§1.2), and
 * the descriptor, challenge and login answers of its server (§1.1). One schema each, types inferred.
 */

const messageId = z.string().check(z.minLength(1), z.maxLength(128));

export const pageAuthenticateOptionsSchema = z.strictObject({
  /** How long the user has to type the PIN. */
  timeoutMs: z.optional(z.int().check(z.minimum(MIN_USER_TIMEOUT_MS), z.maximum(MAX_USER_TIMEOUT_MS))),
  /** The PIN window's language, when the page wants one other than the browser's. */
  lang: z.optional(z.enum(['ja', 'en'])),
});
export type PageAuthenticateOptions = z.infer<typeof pageAuthenticateOptionsSchema>;

/** The longest `label` a page may give a signature: what is signed, in the site's own words. */
export const MAX_SIGN_LABEL_LENGTH = 200;

/** `sign`'s own fields (PROTOCOL.md §11), checked as one: the hash must have its algorithm's length. */
const pageSignFields = {
  /** Standard base64 of the hash the site computed over its document. */
  hash: z.string().check(z.minLength(44), z.maxLength(88)),
  /** The hash function the site used. */
  hashAlgorithm: z.enum(HASH_ALGORITHMS),
  /** Lowercase hex SHA-256 of the signing certificate `getSigningCertificate` gave. */
  certificateSha256: z.string().check(z.regex(/^[0-9a-f]{64}$/)),
  /** What is signed, in the site's words, shown as such in the window. */
  label: z.optional(z.string().check(z.minLength(1), z.maxLength(MAX_SIGN_LABEL_LENGTH))),
};

/** Whether `hash` decodes to exactly the digest length of `hashAlgorithm`. */
export function hashFitsAlgorithm(p: { hash: string; hashAlgorithm: (typeof HASH_ALGORITHMS)[number] }): boolean {
  return decodeBase64Strict(p.hash)?.length === HASH_LENGTHS[p.hashAlgorithm];
}

/** A signature request's parameters, as the page client and the extension check them. */
export const pageSignParamsSchema = z
  .strictObject(pageSignFields)
  .check(z.refine(hashFitsAlgorithm, { path: ['hash'], message: 'not a hash of hashAlgorithm' }));
export type PageSignParams = z.infer<typeof pageSignParamsSchema>;

export const pageRequestSchema = z.discriminatedUnion('action', [
  z.strictObject({
    /** Marks the message as this protocol's, version 1. */
    hpkiLogin: z.literal(1),
    /** Chosen by the page; echoed in every answer. */
    id: messageId,
    /** Whether extension, host and a card are there. */
    action: z.literal('status'),
  }),
  z.strictObject({
    /** Marks the message as this protocol's, version 1. */
    hpkiLogin: z.literal(1),
    /** Chosen by the page; echoed in every answer. */
    id: messageId,
    /** A login: the PIN window, then a token; needs a user activation. */
    action: z.literal('authenticate'),
    /** The challenge the page got from its own server. */
    challenge: z.string().check(z.regex(CHALLENGE_PATTERN)),
    /** How long the doctor has to type the PIN, and the PIN window's language. */
    options: z.optional(pageAuthenticateOptionsSchema),
  }),
  z.strictObject({
    /** Marks the message as this protocol's, version 1. */
    hpkiLogin: z.literal(1),
    /** Chosen by the page; echoed in every answer. */
    id: messageId,
    /** The signing certificate, after the doctor consents in the window; needs a user activation. */
    action: z.literal('getSigningCertificate'),
    /** How long the doctor has to answer, and the window's language. */
    options: z.optional(pageAuthenticateOptionsSchema),
  }),
  z
    .strictObject({
      /** Marks the message as this protocol's, version 1. */
      hpkiLogin: z.literal(1),
      /** Chosen by the page; echoed in every answer. */
      id: messageId,
      /** A signature over the site's hash with the signing key, after the signing PIN; needs a user activation. */
      action: z.literal('sign'),
      ...pageSignFields,
      /** How long the doctor has to type the PIN, and the window's language. */
      options: z.optional(pageAuthenticateOptionsSchema),
    })
    .check(z.refine(hashFitsAlgorithm, { path: ['hash'], message: 'not a hash of hashAlgorithm' })),
]);
export type PageRequest = z.infer<typeof pageRequestSchema>;

/**
 * One reader as a page sees it (PROTOCOL.md §1.2 `readers`): whether it holds a card, and nothing
 * more. No name (it names the machine's hardware, the same for every site) and no card type (it
 * would tell, for one, that a My Number card sits in the reader): any enabled site may ask.
 */
export const pageReaderSchema = z.strictObject({
  /** Whether this reader holds a card (of any kind). */
  cardPresent: z.boolean(),
});
export type PageReader = z.infer<typeof pageReaderSchema>;

/**
 * `status` for the page: whether the extension, the host, readers and a card are there, and nothing
 * more. A page may ask without any user action, so it learns no reader names and no card types; the
 * toolbar popup shows those.
 */
export const pageStatusResultSchema = z.strictObject({
  /** The extension's version. */
  extension: z.string().check(z.maxLength(64)),
  /** The native host's version, or null when it is not installed or failed to start. */
  host: z.nullable(z.string().check(z.maxLength(64))),
  /** One entry per reader the host sees, in the host's order; empty without a host or a reader. */
  readers: z.array(pageReaderSchema),
  /** Whether some reader holds a card (of any kind): `readers.some((r) => r.cardPresent)`. */
  cardPresent: z.boolean(),
});
export type PageStatusResult = z.infer<typeof pageStatusResultSchema>;

export const pageAuthenticateResultSchema = z.strictObject({ token: tokenSchema });
export type PageAuthenticateResult = z.infer<typeof pageAuthenticateResultSchema>;

/** `getSigningCertificate` for the page: the signing certificate and who holds it, nothing about readers or PINs. */
export const pageSigningCertificateResultSchema = z.pick(getCertificateResultSchema, {
  certificate: true,
  certificateSha256: true,
  intermediates: true,
  issuer: true,
  notAfter: true,
  holder: true,
});
export type PageSigningCertificateResult = z.infer<typeof pageSigningCertificateResultSchema>;

/** `sign` for the page: the signature and its algorithm, as the host made them. */
export const pageSignResultSchema = signResultSchema;
export type PageSignResult = z.infer<typeof pageSignResultSchema>;

export const pageResponseSchema = z.discriminatedUnion('type', [
  /** Sent at once: the extension is there. */
  z.strictObject({ hpkiLogin: z.literal(1), id: messageId, type: z.literal('ack') }),
  /** The action's result; its shape is the action's (pageStatusResultSchema, pageAuthenticateResultSchema). */
  z.strictObject({
    hpkiLogin: z.literal(1),
    /** The request's id. */
    id: messageId,
    type: z.literal('result'),
    /** The result; checked against the action's own schema by the client library. */
    result: z.record(z.string(), z.unknown()),
  }),
  z.strictObject({ hpkiLogin: z.literal(1), id: messageId, type: z.literal('error'), error: wireErrorSchema }),
]);
export type PageResponse = z.infer<typeof pageResponseSchema>;

/** The site descriptor of PROTOCOL.md §1.1. */
export const descriptorSchema = z.looseObject({
  /** Marks the file as an HPKI Login descriptor, version 1. */
  hpkiLogin: z.literal(1),
  /** The site's own name for itself: shown as the site's words, never as proof of who it is. */
  name: z.string().check(z.minLength(1), z.maxLength(128)),
  /** Where to GET a challenge: a path on the site's own origin. */
  challengeUrl: sameOriginPathSchema,
  /** Where to POST the token: a path on the site's own origin. */
  loginUrl: sameOriginPathSchema,
  /** Where the content script inserts the button. */
  button: z.optional(
    z.strictObject({
      /** A CSS selector of the element the button goes beside or into. */
      selector: z.string().check(z.minLength(1), z.maxLength(256)),
      /** An `insertAdjacentElement` position. */
      position: z.enum(['beforebegin', 'afterbegin', 'beforeend', 'afterend']),
    }),
  ),
  /** The hcRoles the site accepts; informative, for the PIN window. */
  roles: z.optional(z.array(z.string().check(z.maxLength(128))).check(z.maxLength(32))),
});
export type Descriptor = z.infer<typeof descriptorSchema>;

/** `GET challengeUrl` → 200. */
export const challengeAnswerSchema = z.looseObject({
  /** 32 random bytes, base64url: what the token signs, once. */
  challenge: z.string().check(z.regex(CHALLENGE_PATTERN)),
  /** ISO time after which the server refuses the challenge. */
  expiresAt: z.string().check(z.maxLength(64)),
});
export type ChallengeAnswer = z.infer<typeof challengeAnswerSchema>;

/** `POST loginUrl` body. */
export const loginRequestSchema = z.strictObject({
  /** The token as the extension returned it; the server decodes it itself (§5 step 1). */
  token: z.unknown(),
});
export type LoginRequest = z.infer<typeof loginRequestSchema>;

/** `POST loginUrl` → 200: where the page goes next. */
export const loginAnswerSchema = z.looseObject({ redirect: sameOriginPathSchema });
export type LoginAnswer = z.infer<typeof loginAnswerSchema>;

/** Any 4xx/5xx of a site's HPKI routes. */
export const siteErrorAnswerSchema = z.looseObject({ error: wireErrorSchema });
export type SiteErrorAnswer = z.infer<typeof siteErrorAnswerSchema>;
