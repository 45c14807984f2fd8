// PAdES (ETSI EN 319 142-1) for 紹介状 PDFs: signing with the card in two steps, and verification.
// See docs/signing.md, "PAdES".

export { DEFAULT_CONTENTS_BYTES, finishPades, type PadesInput, preparePades } from './pades-signing.js';
export { type PadesVerifyOptions, verifyPades } from './pades-verify.js';
export { DEFAULT_PDF_LIMITS, type PdfLimits } from './pdf-limits.js';
