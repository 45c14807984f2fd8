// XAdES for e-prescriptions (PROTOCOL.md §11, docs/signing.md "XAdES"): prepare and finish the 処方箋 XML
// with the card's signing key, verify e-prescription and dispensing files (our own and others').

import type { SignatureReport } from '../../../protocol/signature-report.js';
import { verifyTimestampToken } from '../timestamp/index.js';
import { verifyXadesWith, type XadesVerifyOptions } from './xades-verify.js';

export { type FinishXadesOptions, finishXades, type PrepareXadesOptions, prepareXades } from './xades-build.js';
export { XADES_ERROR_CODES, XadesError, type XadesErrorCode } from './xades-errors.js';
export type { XadesVerifyOptions } from './xades-verify.js';
export { DEFAULT_XML_LIMITS, type XmlLimits } from './xml-safe-parse.js';

/**
 * Verifies every signature of an e-prescription or dispensing record (a DocumentVerifier). Resolves
 * with the report for anything the file holds, a refused file included; rejects only on a bug.
 */
export function verifyXades(document: Uint8Array, options: XadesVerifyOptions): Promise<SignatureReport> {
  return verifyXadesWith(document, options, verifyTimestampToken);
}
