import type { SignatureReport, SignatureVerdict } from '../../protocol/signature-report.js';

/**
 * A file's report from its signatures' verdicts, the same for every format (PROTOCOL.md §11): the
 * outermost (last) signature's fields, `valid` only when every signature is, and an `error` whenever
 * `valid` is false: the outermost's, else the first inner one's. Undefined when there is no
 * signature (each format says why in its own report).
 */
export function foldVerdicts(verdicts: SignatureVerdict[]): SignatureReport | undefined {
  const outermost = verdicts.at(-1);
  if (outermost === undefined) return undefined;
  const error = outermost.error ?? verdicts.find((v) => v.error !== undefined)?.error;
  return {
    ...outermost,
    valid: verdicts.every((v) => v.valid),
    ...(error === undefined ? {} : { error }),
    signatures: verdicts,
  };
}
