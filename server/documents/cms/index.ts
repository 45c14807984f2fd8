// CMS signatures: CAdES-BES/-T (detached) made with the card and verified, and the pieces PAdES builds on.

export { type CadesInput, type CadesVerifyOptions, finishCades, prepareCades, verifyCades } from './cades.js';
export {
  type CmsSignatureInput,
  type FinishOptions,
  finishCmsSignature,
  prepareCmsSignature,
} from './cms-signing.js';
export {
  CMS_LIMITS,
  type CmsReportShape,
  type CmsVerifyOptions,
  reportOf,
  unreadableReport,
  verifyCmsSignatures,
} from './cms-verifier.js';
export { CMS_OID } from './oids.js';
export { type CmsLimits, type ParsedSignedData, parseSignedData } from './signed-data.js';
export type { SignedContent } from './signer-info.js';
