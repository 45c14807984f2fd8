import type { Adapter, AdapterPayload } from 'oidc-provider';
import { errors } from 'oidc-provider';
import type { ChallengeStore } from '../challenge-store/index.js';
import { defaultSharePerClient } from '../shared/index.js';

export { currentRequestClient } from './request-context.js';

/**
 * Where the provider keeps its state (PROTOCOL.md §10): every oidc-provider model (sessions,
 * interactions, codes, grants, tokens) through one adapter factory, the provider's own short records
 * (which interaction a browser is logging into, what a card login proved, accounts), and the HPKI
 * challenges. Memory for one process; Redis for any number of processes behind one issuer.
 */
export interface SsoAdapter extends Adapter {
  /** Atomic find-and-destroy: a record is taken at most once, across processes for Redis. */
  take(id: string): Promise<AdapterPayload | undefined>;
}

export interface SsoStore {
  readonly kind: 'memory' | 'redis';
  /** oidc-provider's `adapter` option; also serves the provider's own models (`Hpki…`). */
  adapter(model: string): SsoAdapter;
  challenges: ChallengeStore;
  /** Fails when the store cannot be reached, so a process refuses to start rather than every login. */
  probe(): Promise<void>;
  close(): Promise<void>;
}

/** Without an expiresIn (oidc-provider gives one for every model it stores), a record lives at most this long. */
export const FALLBACK_TTL_SECONDS = 24 * 60 * 60;

/** The lifetime of a record in whole seconds, at least 1. */
export function ttlSeconds(expiresIn: number | undefined): number {
  if (expiresIn === undefined || !Number.isFinite(expiresIn)) return FALLBACK_TTL_SECONDS;
  return Math.max(1, Math.ceil(expiresIn));
}

/** A code or refresh token exchanged twice: the second exchange fails, whichever process it reaches. */
export function alreadyConsumed(): Error {
  return new errors.InvalidGrant('grant already consumed');
}

/**
 * The store is full: new flows wait rather than push out live ones. `temporarily_unavailable`
 * (RFC 6749 §4.1.2.1) reaches the client at its redirect_uri, with status 503 elsewhere.
 */
export function storeFull(): Error {
  const err = new errors.CustomOIDCProviderError(
    'temporarily_unavailable',
    'the sign-in service is at capacity; try again shortly',
  );
  Object.assign(err, { status: 503, statusCode: 503 });
  return err;
}

export const GRANTABLE_MODELS: ReadonlySet<string> = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
]);

/**
 * Records only a card login can lead to: a session's login, and what oidc-provider writes once
 * somebody is signed in. Everything else (interactions, login-page bindings, sessions without
 * an account, pushed requests) anybody can make by opening a URL: a store admits those only up to
 * its `maxPendingSignIns`, keeping the rest of its room for the sign-ins already under way.
 */
const CARD_PROVEN_MODELS: ReadonlySet<string> = new Set([
  'HpkiSessionLogin',
  'Grant',
  'AuthorizationCode',
  'AccessToken',
  'RefreshToken',
]);

export function isAnonymousRecord(model: string, payload: AdapterPayload): boolean {
  if (CARD_PROVEN_MODELS.has(model)) return false;
  return !(model === 'Session' && typeof payload.accountId === 'string' && payload.accountId !== '');
}

/** Default share of a store's room that anonymous records may take: four fifths. */
export function defaultMaxPendingSignIns(maxRecords: number): number {
  return Math.max(1, Math.floor((maxRecords * 4) / 5));
}

/**
 * One client (an address, an IPv6 /56, the forwarded entry a trusted proxy names) may hold at most
 * this many of the anonymous records: a hundredth of the bound, at least 16 (a hospital's doctors
 * behind one NAT address start a few sign-ins at once; each holds two such records for a while).
 */
export function defaultMaxPendingPerClient(maxPendingSignIns: number): number {
  return defaultSharePerClient(maxPendingSignIns);
}

export function checkPendingBounds(maxPendingSignIns: number, maxPendingPerClient: number | undefined): number {
  const perClient = maxPendingPerClient ?? defaultMaxPendingPerClient(maxPendingSignIns);
  if (!Number.isInteger(perClient) || perClient < 1 || perClient > maxPendingSignIns)
    throw new RangeError('maxPendingPerClient must be an integer from 1 to maxPendingSignIns');
  return perClient;
}

/**
 * The store could not be reached (Redis down or too slow): the request is answered 503, or
 * `temporarily_unavailable` at the client, and the process goes on; it serves again once the
 * store answers.
 */
export function storeUnavailable(): Error {
  const err = new errors.CustomOIDCProviderError(
    'temporarily_unavailable',
    'the sign-in service cannot reach its store; try again shortly',
  );
  Object.assign(err, { status: 503, statusCode: 503 });
  return err;
}
