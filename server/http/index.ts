export {
  type ClientAddressOptions,
  type ClientOf,
  clientKeyOf,
  createClientAddress,
  forwardedAddressOf,
  IPV6_CLIENT_PREFIX,
} from './client-address.js';
export {
  type ChallengeResponseBody,
  type HpkiLoginDeps,
  type HpkiLoginRequest,
  type HpkiLoginResponse,
  handleHpkiLogin,
  issueChallenge,
  type LoginVerifier,
  MAX_LOGIN_BODY_BYTES,
  type StartedSession,
  statusForError,
} from './hpki-login.js';
export { createHpkiRoutes, DESCRIPTOR_PATH, type HpkiRoutesOptions, type RouteHandler } from './hpki-routes.js';
export { isJsonContentType, parseJsonBody } from './json-body.js';
export { type LimitSettings, routeLimitsOf } from './limit-settings.js';
export { closeServer, listen } from './listen.js';
export { type Bilingual, type PageLang, pageLanguage } from './page-language.js';
export {
  checkRateLimit,
  createRateLimiter,
  type RateDecision,
  type RateLimit,
  type RateLimiter,
  type RateLimiterOptions,
} from './rate-limit.js';
export {
  catchingInternalErrors,
  type ErrorBody,
  errorBody,
  escapeHtml,
  readBody,
  SECURITY_HEADERS,
  send,
  sendJson,
} from './responses.js';
export {
  DEFAULT_CHALLENGE_RATE,
  DEFAULT_LOGIN_RATE,
  type HpkiRouteLimits,
  refuseOverLimit,
} from './route-limits.js';
export { createSessionCookie, type SessionCookie } from './session-cookie.js';
export {
  createMemorySessionStore,
  DEFAULT_SESSION_ABSOLUTE_MS,
  DEFAULT_SESSION_IDLE_MS,
  type MemorySessionStoreOptions,
  type SessionStore,
} from './session-store.js';
