import { loadOrCreateMockPki, writeCurrentCrls } from '../../native-host/mock-pki/index.js';
import type { DocumentVerifyOptions } from '../../server/documents/document-types.js';
import { createTokenVerifier, type DetailedTokenVerifier } from '../../server/verify/index.js';

/** Mock CRLs are good for four days; a long-running demo re-issues them well before. */
const CRL_REFRESH_MS = 6 * 60 * 60_000;

export interface MockPkiTrust {
  /** Verifies against the PKI's current CRLs, whichever refresh is latest. */
  verifier: DetailedTokenVerifier;
  /**
   * The same trust for signed documents (the demo's 「紹介状に署名」 and 「署名を検証」), with the
   * latest CRLs; `extraAnchors` (an operator's real HPKI roots) are trusted beside the mock root.
   */
  documentTrust(extraAnchors?: readonly Uint8Array[]): () => DocumentVerifyOptions;
  /** Stops the periodic CRL refresh. */
  close(): void;
}

/**
 * For `--pki DIR` (development, the demo, tests): a verifier that trusts the mock PKI in `dir` (made
 * on first use): its root as the anchor, its two CAs as intermediates, and CRLs freshly issued now
 * and every few hours, so revocation is checked fail-closed like on a real site. It lives in
 * scripts/ because the mock PKI belongs to the native host, which server/ does not import.
 */
export async function trustMockPki(
  dir: string,
  options: { allowedRoles: string[] | 'any'; onRefreshError?: (err: unknown) => void },
): Promise<MockPkiTrust> {
  const pki = await loadOrCreateMockPki(dir);
  let crls: Uint8Array[] = [];
  const build = async (): Promise<DetailedTokenVerifier> => {
    const { authCaCrl, signCaCrl } = await writeCurrentCrls(pki);
    crls = [authCaCrl, signCaCrl];
    return createTokenVerifier({
      anchors: [pki.root.certificate],
      intermediates: [pki.authCa.certificate, pki.signCa.certificate],
      crls: [authCaCrl, signCaCrl],
      fetchCrls: false,
      revocation: 'fail-closed',
      allowedRoles: options.allowedRoles,
    });
  };
  let current = await build();
  const timer = setInterval(() => {
    build().then(
      (next) => {
        current = next;
      },
      (err: unknown) => options.onRefreshError?.(err),
    );
  }, CRL_REFRESH_MS);
  timer.unref();
  return {
    verifier: {
      verify: (token, context) => current.verify(token, context),
      verifyWithReport: (token, context) => current.verifyWithReport(token, context),
      get skipped() {
        return current.skipped;
      },
    },
    documentTrust:
      (extraAnchors = []) =>
      () => ({
        anchors: [pki.root.certificate, ...extraAnchors],
        intermediates: [pki.signCa.certificate],
        crls,
        fetchCrls: false,
        revocation: 'fail-closed',
        allowedRoles: options.allowedRoles,
      }),
    close: () => clearInterval(timer),
  };
}
