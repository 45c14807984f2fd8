import type { SignatureReport, SignatureVerdict } from '../../../protocol/signature-report.js';
import { summarizeVerification } from '../../verify/index.js';
import type { DocumentVerifyOptions } from '../document-types.js';
import { foldVerdicts } from '../verdict-fold.js';
import { checkPlacedSignature, type SignatureFacts, type TimestampTokenVerifier } from './xades-check-signature.js';
import { errorCodeOf } from './xades-errors.js';
import { locateSignatures } from './xades-layout.js';
import { indexIds } from './xml-dom.js';
import { DEFAULT_XML_LIMITS, parseXmlSafely, startDeadline, type XmlLimits } from './xml-safe-parse.js';

/**
 * verifyXades: an e-prescription or dispensing record in, the report of PROTOCOL.md §11 out. A
 * document that cannot be read, or that is not the layout, is one invalid report with no signature in
 * it; otherwise each signature has its verdict, in document order (the doctor's, then the
 * pharmacist's), and the top level repeats the outermost one's with `valid` true only when all are.
 */

export interface XadesVerifyOptions extends DocumentVerifyOptions {
  /** Bounds on the XML (xml-safe-parse.ts DEFAULT_XML_LIMITS). */
  limits?: Partial<XmlLimits>;
}

/** `2022-09-07T08:08:01Z`: ISO 8601 in UTC, with milliseconds only when there are some. */
function isoTime(time: Date): string {
  return time.toISOString().replace('.000Z', 'Z');
}

function verdictOf(facts: SignatureFacts): SignatureVerdict {
  const summary = summarizeVerification({
    error: undefined,
    certificate: facts.certificate,
    path: facts.path,
    revocation: facts.revocation,
  });
  return {
    valid: facts.error === undefined,
    ...(facts.error === undefined ? {} : { error: facts.error }),
    format: 'xades',
    level: facts.level,
    ...(facts.signingTime === undefined ? {} : { signingTime: isoTime(facts.signingTime) }),
    ...(facts.timestamp === undefined
      ? {}
      : { timestamp: { time: isoTime(facts.timestamp.time), tsa: facts.timestamp.tsa } }),
    ...(facts.hcRole === undefined
      ? summary.hcRole === undefined
        ? {}
        : { hcRole: summary.hcRole }
      : { hcRole: facts.hcRole }),
    ...(summary.holder === undefined ? {} : { holder: summary.holder }),
    ...(summary.chain === undefined ? {} : { chain: summary.chain }),
    revocation: facts.revocation?.status ?? 'not-checked',
  };
}

/** The report of a document refused as a whole. */
export function refusedReport(error: string): SignatureReport {
  return { valid: false, error, format: 'xades', level: 'BES', revocation: 'not-checked', signatures: [] };
}

function reportOf(verdicts: SignatureVerdict[]): SignatureReport {
  return foldVerdicts(verdicts) ?? refusedReport('ERR_XADES_STRUCTURE');
}

export async function verifyXadesWith(
  document: Uint8Array,
  options: XadesVerifyOptions,
  verifyTimestamp: TimestampTokenVerifier,
): Promise<SignatureReport> {
  const limits = { ...DEFAULT_XML_LIMITS, ...options.limits };
  const deadline = startDeadline(limits);
  try {
    const doc = parseXmlSafely(document, limits, deadline);
    const ids = indexIds(doc);
    const placed = locateSignatures(doc);
    const verdicts: SignatureVerdict[] = [];
    for (const signature of placed) {
      const facts = await checkPlacedSignature(signature, { options, ids, verifyTimestamp, deadline });
      verdicts.push(verdictOf(facts));
    }
    return reportOf(verdicts);
  } catch (err) {
    const code = errorCodeOf(err);
    if (code === undefined) throw err;
    return refusedReport(code);
  }
}
