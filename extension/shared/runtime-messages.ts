import { z } from 'zod';
import { CHALLENGE_PATTERN } from '../../protocol/challenge.js';
import type { WireError } from '../../protocol/errors.js';
import type { Holder, ReaderStatus } from '../../protocol/messages.js';
import { pageAuthenticateOptionsSchema } from '../../protocol/page-messages.js';
import type { Token } from '../../protocol/token.js';

/**
 * Messages inside the extension (content script, PIN window, popup, options → background). Nothing
 * here carries an origin: the background takes it from the browser's sender information. Each is
 * parsed with `runtimeRequestSchema` on arrival, since a compromised renderer can send anything.
 */

const sessionId = z.string().uuid();
const siteOrigin = z.string().min(1).max(2048);

export const runtimeRequestSchema = z.discriminatedUnion('kind', [
  /** Content script: the page API's `status`. */
  z.object({ kind: z.literal('page-status') }).strict(),
  /** Content script: a login for its tab (button or page API). */
  z
    .object({
      kind: z.literal('page-authenticate'),
      challenge: z.string().regex(CHALLENGE_PATTERN),
      options: pageAuthenticateOptionsSchema.optional(),
    })
    .strict(),
  /** PIN window: what to show. */
  z.object({ kind: z.literal('pin-open'), session: sessionId }).strict(),
  /** PIN window: the PIN the user typed. */
  z.object({ kind: z.literal('pin-submit'), session: sessionId, pin: z.string().max(64) }).strict(),
  /** PIN window: the cancel button. */
  z.object({ kind: z.literal('pin-cancel'), session: sessionId }).strict(),
  /** Popup: host, readers, card, sites. */
  z.object({ kind: z.literal('overview') }).strict(),
  /** Popup and options: the enabled sites. */
  z.object({ kind: z.literal('sites-list') }).strict(),
  /** Popup: about to ask for a site's permission (the popup may close while the browser asks). */
  z.object({ kind: z.literal('site-intent'), origin: siteOrigin }).strict(),
  /** Popup and options: enable a site whose host permission was just granted. */
  z.object({ kind: z.literal('site-enable'), origin: siteOrigin }).strict(),
  z.object({ kind: z.literal('site-disable'), origin: siteOrigin }).strict(),
]);
export type RuntimeRequest = z.infer<typeof runtimeRequestSchema>;
export type RuntimeRequestKind = RuntimeRequest['kind'];

/** Every answer of the background: errors travel as values, since a rejected promise loses its code. */
export type RuntimeReply<T> = { ok: true; value: T } | { ok: false; error: WireError };

export interface PageStatusResult {
  extension: string;
  host: string | null;
  readers: ReaderStatus[];
}

export interface PageAuthenticateResult {
  token: Token;
}

/** What the PIN window shows. */
export interface PinWindowModel {
  siteName: string;
  origin: string;
  holder: Holder;
  issuerName: string | null;
  /** ISO time, or null when the certificate could not be read for display. */
  notAfter: string | null;
  retriesLeft: number;
  maxRetries: number;
  /** The roles the site's descriptor names (informative, PROTOCOL.md §1.1). */
  roles: string[];
}

export type PinSubmitOutcome =
  | { outcome: 'done' }
  | { outcome: 'retry'; retriesLeft: number }
  | { outcome: 'blocked' }
  | { outcome: 'failed'; error: WireError };

export interface EnabledSite {
  origin: string;
  name: string;
}

export interface CardOverview {
  reader: string;
  cardType: 'hpki' | 'jpki' | 'unknown';
  holder: Holder;
  issuerName: string | null;
  notAfter: string | null;
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
  'pin-open': PinWindowModel;
  'pin-submit': PinSubmitOutcome;
  'pin-cancel': null;
  overview: Overview;
  'sites-list': EnabledSite[];
  'site-intent': null;
  'site-enable': EnabledSite[];
  'site-disable': EnabledSite[];
}

const wireErrorShape = z.object({ code: z.string().max(64), message: z.string().max(2048), retriesLeft: z.number().int().optional() });

/** Checks the envelope of an answer; the value's shape is the background's own promise. */
export const runtimeReplySchema = z.union([
  z.object({ ok: z.literal(true), value: z.unknown() }),
  z.object({ ok: z.literal(false), error: wireErrorShape }),
]);
