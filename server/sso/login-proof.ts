import { HpkiError } from '../../protocol/errors.js';
import { nameToString } from '../../protocol/x500-name.js';
import type { LoginVerifier } from '../http/index.js';
import type { DetailedTokenVerifier, LoginResult, VerifyContext } from '../verify/index.js';
import { deriveSub } from './sub.js';

/** What one card login proved, as the provider keeps it for the session's claims (PROTOCOL.md §10). */
export interface SsoLogin extends LoginResult {
  /** The account: see sub.ts. */
  sub: string;
  /** The issuing CA's DN, `C=JP, O=…, CN=…` as `verify-token` prints a chain. */
  issuerDn: string;
}

/**
 * The project's verifier (every step of §5, every role admitted: the role is decided per client
 * later) with what the provider needs on top: the issuer's whole name, for `sub` and `hpki_issuer`.
 */
export function createSsoVerifier(inner: DetailedTokenVerifier): LoginVerifier<SsoLogin> {
  return {
    async verify(token: unknown, context: VerifyContext): Promise<SsoLogin> {
      const report = await inner.verifyWithReport(token, context);
      if (report.error !== undefined) throw report.error;
      const { result, certificate } = report;
      if (result === undefined || certificate === undefined)
        throw new HpkiError('ERR_HPKI_INTERNAL', 'verification ended without a result');
      const issuer = certificate.decoded.issuer;
      return { ...result, sub: deriveSub(issuer, result.holder.id), issuerDn: nameToString(issuer) };
    },
  };
}
