import type { DocumentFormat, SignatureReport } from '../../protocol/signature-report.js';
import { type DocumentVerifyOptions, detectDocumentFormat, verifyDocument } from '../documents/index.js';
import { withTimeLimit } from '../shared/index.js';

/**
 * 「署名を検証」: an uploaded signed PDF, CAdES signature (with its data file) or e-prescription XML,
 * its format told from its first bytes, verified with the demo's trust by the server library's own
 * verifiers (which bound their parsers: sizes, nesting, values, parse time). On top of those, the
 * page bounds the upload, the whole verification's time, and how many run at once, so anonymous
 * uploads cannot hold up the doctors' signing.
 */

const MIB = 1024 * 1024;
/** The largest upload (the whole multipart body: the file and a CAdES data file together). */
export const MAX_UPLOAD_BYTES = 10 * MIB;
/** A verification that takes longer is abandoned and answered as such. */
export const VERIFY_TIME_LIMIT_MS = 10_000;
/** Verifications at once, for everybody together; beyond, the page says to try again. */
export const MAX_CONCURRENT_VERIFICATIONS = 2;

export type CheckFailure = 'empty' | 'unknown-format' | 'busy' | 'timeout';

export type CheckOutcome = { format: DocumentFormat; report: SignatureReport } | { failure: CheckFailure };

export interface DocumentChecker {
  check(file: Uint8Array, data: Uint8Array | undefined): Promise<CheckOutcome>;
}

export function createDocumentChecker(options: {
  trust: () => DocumentVerifyOptions;
  timeLimitMs?: number;
  maxConcurrent?: number;
}): DocumentChecker {
  const timeLimitMs = options.timeLimitMs ?? VERIFY_TIME_LIMIT_MS;
  const maxConcurrent = options.maxConcurrent ?? MAX_CONCURRENT_VERIFICATIONS;
  let running = 0;
  return {
    async check(file, data) {
      if (file.length === 0) return { failure: 'empty' };
      const format = detectDocumentFormat(file);
      if (format === undefined) return { failure: 'unknown-format' };
      if (running >= maxConcurrent) return { failure: 'busy' };
      running++;
      const work = verifyDocument(format, file, data?.length === 0 ? undefined : data, options.trust());
      // The count drops when the work really ends, not when the page stops waiting for it.
      work.then(
        () => running--,
        () => running--,
      );
      const report = await withTimeLimit(work, timeLimitMs);
      return report === 'timeout' ? { failure: 'timeout' } : { format, report };
    },
  };
}
