import * as z from 'zod/mini';
import { CHALLENGE_PATTERN } from '../../protocol/challenge.js';
import { type WireError, wireErrorSchema } from '../../protocol/errors.js';
import type { CardType, Holder, PinApplication, ReaderStatus } from '../../protocol/messages.js';
import { MAX_READER_NAME_LENGTH, pinApplicationSchema } from '../../protocol/messages.js';
import { MAX_ORIGIN_LENGTH } from '../../protocol/origin.js';
import {
  type PageAuthenticateResult,
  type PageSigningCertificateResult,
  type PageSignResult,
  type PageStatusResult,
  pageAuthenticateOptionsSchema,
  pageSignParamsSchema,
} from '../../protocol/page-messages.js';

/**
 * Messages inside the extension (content script, PIN window, popup, options → background). Nothing
 * here carries an origin: the background takes it from the browser's sender information. Each is
 * parsed with `runtimeRequestSchema` on arrival, since a compromised renderer can send anything.
 */

const sessionId = z.uuid();
const siteOrigin = z.string().check(z.minLength(1), z.maxLength(MAX_ORIGIN_LENGTH));

export const runtimeRequestSchema = z.discriminatedUnion('kind', [
  /** Content script: the page API's `status`. */
  z.strictObject({ kind: z.literal('page-status') }),
  /** Content script: a login for its tab (button or page API). */
  z.strictObject({
    kind: z.literal('page-authenticate'),
    challenge: z.string().check(z.regex(CHALLENGE_PATTERN)),
    options: z.optional(pageAuthenticateOptionsSchema),
  }),
  /** Content script: the signing certificate for its tab, after the doctor's consent (page API, §11). */
  z.strictObject({
    kind: z.literal('page-get-signing-certificate'),
    options: z.optional(pageAuthenticateOptionsSchema),
  }),
  /** Content script: a signature over the site's hash for its tab (page API, §11). */
  z.strictObject({
    kind: z.literal('page-sign'),
    params: pageSignParamsSchema,
    options: z.optional(pageAuthenticateOptionsSchema),
  }),
  /** PIN window: what to show now. */
  z.strictObject({ kind: z.literal('pin-open'), session: sessionId }),
  /** PIN window: what to show once it differs from view `after` (answered when it changes). */
  z.strictObject({ kind: z.literal('pin-watch'), session: sessionId, after: z.int().check(z.minimum(0)) }),
  /** PIN window: the card the user chose among several (`choose-card`), by its reader. */
  z.strictObject({
    kind: z.literal('pin-choose'),
    session: sessionId,
    reader: z.string().check(z.minLength(1), z.maxLength(MAX_READER_NAME_LENGTH)),
  }),
  /** PIN window: the PIN the user typed. */
  z.strictObject({ kind: z.literal('pin-submit'), session: sessionId, pin: z.string().check(z.maxLength(64)) }),
  /** PIN window: the doctor agrees to give the signing certificate (`confirm`). */
  z.strictObject({ kind: z.literal('pin-confirm'), session: sessionId }),
  /** PIN window: the cancel button. */
  z.strictObject({ kind: z.literal('pin-cancel'), session: sessionId }),
  /** Popup: host, readers, card, sites. */
  z.strictObject({ kind: z.literal('overview') }),
  /** Popup and options: the enabled sites. */
  z.strictObject({ kind: z.literal('sites-list') }),
  /** Popup: about to ask for a site's permission (the popup may close while the browser asks). */
  z.strictObject({ kind: z.literal('site-intent'), origin: siteOrigin }),
  /** Popup and options: enable a site whose host permission was just granted. */
  z.strictObject({ kind: z.literal('site-enable'), origin: siteOrigin }),
  z.strictObject({ kind: z.literal('site-disable'), origin: siteOrigin }),
  /** Popup and options: the PIN tries left of one application, before a PIN change. */
  z.strictObject({ kind: z.literal('pin-change-tries'), application: pinApplicationSchema }),
  /**
   * Popup and options: change one application's PIN. The PINs' format (4–16 printable ASCII) is
   * checked by the background with its own error; here only their length is bounded.
   */
  z.strictObject({
    kind: z.literal('pin-change'),
    application: pinApplicationSchema,
    pin: z.string().check(z.maxLength(64)),
    newPin: z.string().check(z.maxLength(64)),
  }),
]);
export type RuntimeRequest = z.infer<typeof runtimeRequestSchema>;
export type RuntimeRequestKind = RuntimeRequest['kind'];

/** The requests a content script sends over a port of its own, one per port. */
export type PortRequest = Extract<
  RuntimeRequest,
  { kind: 'page-authenticate' | 'page-get-signing-certificate' | 'page-sign' }
>;

/**
 * The runtime port a content script opens for one card flow (`page-authenticate`, and the §11
 * `page-get-signing-certificate` and `page-sign`), which are accepted only over it: the browser disconnects it when the page goes away, and that cancels the login.
 */
export const LOGIN_PORT_NAME = 'hpki-login';

/** Every answer of the background: errors travel as values, since a rejected promise loses its code. */
export type RuntimeReply<T> = { ok: true; value: T } | { ok: false; error: WireError };

/** What the window is for: a login (the default) or a signature (PROTOCOL.md §11). */
export type FlowPurpose = 'login' | 'sign';

/** What a signature is over, as the window shows it: the site's label and the start of the hash. */
export interface SignedDocument {
  /** The site's own words for what is signed, if it gave any. */
  label?: string;
  /** The hash's first bytes in lowercase hex. */
  hashStart: string;
  hashAlgorithm: string;
}

/** What the PIN window shows. */
export interface PinWindowModel {
  purpose?: FlowPurpose;
  /** For a signature's `pin`: what is signed. */
  document?: SignedDocument;
  siteName: string;
  origin: string;
  holder: Holder;
  /** The issuing CA's name, as the host read it from the certificate. */
  issuerName: string;
  /** The certificate's notAfter, ISO time, as the host read it. */
  notAfter: string;
  retriesLeft: number;
  maxRetries: number;
  /** The roles the site's descriptor names (informative, PROTOCOL.md §1.1). */
  roles: string[];
}

/** Who asks: what the window shows from its first moment, before the card is read. */
export interface PinAsker {
  /** Absent for a login. */
  purpose?: FlowPurpose;
  /** For a signature: what is signed (absent while only the certificate is asked for). */
  document?: SignedDocument;
  siteName: string;
  origin: string;
  roles: string[];
}

/** One card offered when several readers hold HPKI cards. */
export interface CardChoice {
  reader: string;
  holder: Holder;
  issuerName: string;
  notAfter: string;
}

/**
 * Where a card flow stands, in one vocabulary for the background's prompt session, the window's view
 * and PROTOCOL.md §7's `data-state`: `reading` (talking to the host or the card), `insert-card`
 * (waiting for a card), `choose-card` (several cards), `pin` (the PIN input is ready), `blocked` (the
 * card is locked) and `error` (the flow ended; the window says why and what to do). A sign flow
 * (§11) adds `confirm`: the signing certificate is about to be given to the site.
 */
export type FlowPhase = 'reading' | 'insert-card' | 'choose-card' | 'confirm' | 'pin' | 'blocked' | 'error';

/** What the window shows in each phase. */
export type PinStage =
  | { phase: 'reading' }
  | { phase: 'insert-card' }
  | { phase: 'choose-card'; cards: CardChoice[] }
  | { phase: 'confirm'; model: PinWindowModel }
  | { phase: 'pin'; model: PinWindowModel }
  | { phase: 'blocked'; model: PinWindowModel }
  | { phase: 'error'; error: WireError };

export interface PinWindowView extends PinAsker {
  /** Grows with every change; `pin-watch` waits for a larger one. */
  version: number;
  stage: PinStage;
}

/**
 * What became of a PIN the window sent: `withdrawn` when the flow left the pin phase before
 * presenting it (the card was pulled): nothing reached the card and the window follows the view.
 */
export type PinSubmitOutcome =
  | { outcome: 'done' }
  | { outcome: 'withdrawn' }
  | { outcome: 'retry'; retriesLeft: number }
  | { outcome: 'blocked' }
  | { outcome: 'failed'; error: WireError };

/** One application's PIN counter, for the PIN change form. */
export interface PinTries {
  application: PinApplication;
  retriesLeft: number;
  maxRetries: number;
}

export interface EnabledSite {
  origin: string;
  name: string;
}

export interface CardOverview {
  reader: string;
  cardType: CardType;
  holder: Holder;
  issuerName: string;
  notAfter: string;
  pinRetriesLeft: number;
}

export interface Overview {
  extensionVersion: string;
  loopbackDevelopment: boolean;
  host: { version: string; backend: string } | null;
  hostError: WireError | null;
  readers: ReaderStatus[];
  card: CardOverview | null;
  cardError: WireError | null;
  sites: EnabledSite[];
}

/** Typed request → answer pairs, for the senders. */
export interface RuntimeAnswerMap {
  'page-status': PageStatusResult;
  'page-authenticate': PageAuthenticateResult;
  'page-get-signing-certificate': PageSigningCertificateResult;
  'page-sign': PageSignResult;
  'pin-open': PinWindowView;
  'pin-watch': PinWindowView;
  'pin-choose': null;
  'pin-submit': PinSubmitOutcome;
  'pin-confirm': null;
  'pin-cancel': null;
  overview: Overview;
  'sites-list': EnabledSite[];
  'site-intent': null;
  'site-enable': EnabledSite[];
  'site-disable': EnabledSite[];
  'pin-change-tries': PinTries;
  'pin-change': null;
}

/** Checks the envelope of an answer; the value's shape is the background's own promise. */
export const runtimeReplySchema = z.union([
  z.object({ ok: z.literal(true), value: z.unknown() }),
  z.object({ ok: z.literal(false), error: wireErrorSchema }),
]);
