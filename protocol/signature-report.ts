import { z } from 'zod';

/**
 * What `hpki-login verify-signature` prints (PROTOCOL.md §11), and what the server library's
 * document verifiers (CAdES, PAdES, XAdES) return: one object per signature, and for the file the
 * outermost signature's fields beside them all.
 */

export const DOCUMENT_FORMATS = ['cades', 'pades', 'xades'] as const;
export type DocumentFormat = (typeof DOCUMENT_FORMATS)[number];

/** The ETSI level names: CAdES and XAdES use the first list, PAdES the second. */
export const ETSI_LEVELS = ['BES', 'EPES', 'T', 'C', 'X', 'XL', 'A'] as const;
export const PADES_LEVELS = ['B-B', 'B-T', 'B-LT', 'B-LTA'] as const;
export type SignatureLevel = (typeof ETSI_LEVELS)[number] | (typeof PADES_LEVELS)[number];

/**
 * Each format's level without a signature timestamp and with one: what `sign` makes, and what the
 * CAdES and PAdES verifiers report (XAdES reads richer levels from the file, docs/signing.md).
 */
export const BASIC_LEVELS: Readonly<Record<DocumentFormat, { plain: SignatureLevel; timestamped: SignatureLevel }>> = {
  cades: { plain: 'BES', timestamped: 'T' },
  pades: { plain: 'B-B', timestamped: 'B-T' },
  xades: { plain: 'BES', timestamped: 'T' },
};

/**
 * How revocation was settled, the same words for every format: `good` and `revoked` from a current
 * CRL; `unknown` when no current CRL answered (soft-fail lets it through, fail-closed refuses);
 * `not-checked` when revocation is off or the signature was refused before its path was built.
 */
export const REPORTED_REVOCATIONS = ['good', 'revoked', 'unknown', 'not-checked'] as const;
export type ReportedRevocation = (typeof REPORTED_REVOCATIONS)[number];

const isoTime = z.iso.datetime({ offset: true });

export const signatureVerdictSchema = z.object({
  /** True only when the signature, every signed attribute, the certificate (purpose `sign`) and any timestamp hold. */
  valid: z.boolean(),
  /** The first reason it does not, as an error code of PROTOCOL.md §5/§8 or a document code (docs/signing.md). */
  error: z.string().optional(),
  format: z.enum(DOCUMENT_FORMATS),
  level: z.enum([...ETSI_LEVELS, ...PADES_LEVELS]),
  /** The signed signing time (CAdES signingTime, XAdES SigningTime, PAdES /M), ISO 8601. */
  signingTime: isoTime.optional(),
  /** A valid signature timestamp: its genTime and the TSA's subject. */
  timestamp: z.object({ time: isoTime, tsa: z.string() }).optional(),
  hcRole: z.string().optional(),
  holder: z.object({ name: z.string(), nameJa: z.string().optional(), id: z.string() }).optional(),
  /** Subject CNs of the validated path, signer first. */
  chain: z.array(z.string()).optional(),
  /** How revocation was settled (REPORTED_REVOCATIONS). */
  revocation: z.enum(REPORTED_REVOCATIONS),
});
export type SignatureVerdict = z.infer<typeof signatureVerdictSchema>;

export const signatureReportSchema = signatureVerdictSchema.extend({
  /** Every signature in the file, in the order they were made (a dispensing record: the doctor's, then the pharmacist's). */
  signatures: z.array(signatureVerdictSchema),
});
export type SignatureReport = z.infer<typeof signatureReportSchema>;
