export {
  type ChallengeResponseBody,
  type HpkiLoginDeps,
  type HpkiLoginRequest,
  type HpkiLoginResponse,
  type LoginVerifier,
  type StartedSession,
  MAX_LOGIN_BODY_BYTES,
  handleHpkiLogin,
  issueChallenge,
  statusForError,
} from './hpki-login.js';
export { DESCRIPTOR_PATH, type HpkiRoutesOptions, type RouteHandler, createHpkiRoutes } from './hpki-routes.js';
export { SECURITY_HEADERS, type ErrorBody, errorBody, readBody, send, sendJson } from './responses.js';
export { type SessionCookie, createSessionCookie } from './session-cookie.js';
export { type MemorySessionStoreOptions, type SessionStore, createMemorySessionStore } from './session-store.js';
