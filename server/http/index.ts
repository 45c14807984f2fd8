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
export { type ErrorBody, errorBody, readBody, SECURITY_HEADERS, send, sendJson } from './responses.js';
export { createSessionCookie, type SessionCookie } from './session-cookie.js';
export { createMemorySessionStore, type MemorySessionStoreOptions, type SessionStore } from './session-store.js';
