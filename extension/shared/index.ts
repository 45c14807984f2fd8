// What every page and the background share (messages, i18n, DOM helpers); other folders import from here.

export { MAX_SITE_JSON_BYTES, readBoundedJson } from './bounded-json.js';
export { translatorFor } from './catalogs.js';
export { errorMessageKey, localizeError } from './error-text.js';
export { expiryStatus, formatDate } from './expiry.js';
export { browserTranslator, type Lang, langFromTag, type MessageKey, type Translate } from './i18n.js';
export { displayError, LocalizedError } from './localized-error.js';
export { element, localizePage, requireElement } from './page-dom.js';
export { mountPinChange, type PinChangeDeps, type PinChangeResult, pinChangeProblem } from './pin-change-form.js';
export { roleLabel } from './role-label.js';
export { askBackground, wireOf } from './runtime-client.js';
export {
  type CardChoice,
  type CardOverview,
  type EnabledSite,
  type FlowPhase,
  type FlowPurpose,
  LOGIN_PORT_NAME,
  type Overview,
  type PinAsker,
  type PinStage,
  type PinSubmitOutcome,
  type PinTries,
  type PinWindowModel,
  type PinWindowView,
  type PortRequest,
  type RuntimeAnswerMap,
  type RuntimeReply,
  type RuntimeRequest,
  runtimeReplySchema,
  runtimeRequestSchema,
  type SignedDocument,
} from './runtime-messages.js';
export { matchPatternForOrigin, parseSiteInput } from './site-pattern.js';
