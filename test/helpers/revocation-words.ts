import type { SignatureReport } from '../../protocol/signature-report.js';
import type { RevocationMode } from '../../server/verify/index.js';

/**
 * The four ways a document's report settles revocation, in the same words for every format: a
 * current CRL, none under soft-fail, revocation off, and a signature refused before its path (one
 * changed byte of what it signs). `said` is [valid, the top level's revocation, the signature's].
 */
export const REVOCATION_CASES = [
  { withCrls: true, revocation: 'fail-closed', changed: false, said: [true, 'good', 'good'] },
  { withCrls: false, revocation: 'soft-fail', changed: false, said: [true, 'unknown', 'unknown'] },
  { withCrls: true, revocation: 'off', changed: false, said: [true, 'not-checked', 'not-checked'] },
  { withCrls: true, revocation: 'fail-closed', changed: true, said: [false, 'not-checked', 'not-checked'] },
] as const satisfies readonly {
  withCrls: boolean;
  revocation: RevocationMode;
  changed: boolean;
  said: readonly unknown[];
}[];

export type RevocationCase = (typeof REVOCATION_CASES)[number];

/** What each case's report said, beside what it should have said, for one `toEqual`. */
export async function revocationWords(
  verify: (c: RevocationCase) => Promise<SignatureReport>,
): Promise<{ said: unknown[]; expected: unknown[] }> {
  const said: unknown[] = [];
  for (const c of REVOCATION_CASES) {
    const report = await verify(c);
    said.push([report.valid, report.revocation, report.signatures[0]?.revocation]);
  }
  return { said, expected: REVOCATION_CASES.map((c) => [...c.said]) };
}
