import { HpkiError } from '../../protocol/errors.js';
import type { CertificatePurpose, KeyPolicy, ParsedCertificate, SkippedInput, TrustStore } from '../cert/index.js';
import { checkKeyPolicy, checkPurpose, createTrustStore, HPKI_KEY_POLICY, validatePath } from '../cert/index.js';
import type { CrlFetcher, CrlProvider, ParsedCrl, PathRevocation } from '../revocation/index.js';
import { checkPathRevocation, createCrlFetcher, createCrlSignatureCache, createCrlStore } from '../revocation/index.js';
import { createValidationCache } from './validation-cache.js';

/**
 * Steps 3–5 of PROTOCOL.md §5 for one end-entity certificate: purpose and policy, the RFC 5280
 * path, revocation. Shared by the token verifier and the `verify-cert` command, which also wants
 * the path and revocation details when the answer is no.
 */

export type RevocationMode = 'fail-closed' | 'soft-fail' | 'off';

export interface CertificateValidatorOptions {
  /** DER trust anchors. */
  anchors: readonly Uint8Array[];
  /** Configured CA certificates (token-supplied ones are added per validation). */
  intermediates?: readonly Uint8Array[];
  /** DER CRLs from files (CA CRLs and ARLs). */
  crls?: readonly Uint8Array[];
  /** Also fetch the end entity's CRLDP URIs over HTTP. */
  fetchCrls?: boolean;
  /** The fetcher to use when fetchCrls is true (shared across verifiers, custom limits). */
  crlFetcher?: CrlFetcher;
  /** Default fail-closed. */
  revocation?: RevocationMode;
  /**
   * How long a successful validation of the same certificate is reused, in ms (default 60 s; 0
   * turns it off). See validation-cache.ts for what that trades.
   */
  validationCacheMs?: number;
  /**
   * Which keys may appear on a path and in the end entity. Default HPKI_KEY_POLICY (RSA
   * 2048–4096 bits, e = 65537), what every real HPKI certificate has; other PKIs and test suites
   * with other keys pass their own.
   */
  keyPolicy?: KeyPolicy;
  /** Anchors are names and keys only (RFC 5280 §6.1.1 d; path-validation.ts): for TSA anchors, never HPKI roots. */
  anchorsAsKeys?: boolean;
}

export interface CertificateCheck {
  at: Date;
  /** Checked first when given (§5 step 3). */
  purpose?: CertificatePurpose;
  policyArcs?: readonly string[];
}

export interface CertificateValidation {
  /** Undefined when the certificate passed every step asked for. */
  error: HpkiError | undefined;
  /** End entity first, trust anchor last, when a path was built. */
  path: ParsedCertificate[] | undefined;
  /** Undefined when revocation was not checked (mode off, or an earlier step failed). */
  revocation: PathRevocation | undefined;
}

/** Inputs the validator could not read and left out (the rest still works). */
export interface SkippedInputs {
  /** Positions in `intermediates`. */
  intermediates: readonly SkippedInput[];
  /** Positions in `crls`. */
  crls: readonly SkippedInput[];
}

export interface CertificateValidator {
  readonly trust: TrustStore;
  readonly keyPolicy: Readonly<KeyPolicy>;
  readonly skipped: SkippedInputs;
  /** Parses a certificate that came with a token (cached); bad DER → ERR_TOKEN_MALFORMED. */
  parse(der: Uint8Array): ParsedCertificate;
  /** `parse` of a certificate in base64 text (a token's); undefined when `decode` refuses the text. */
  parseEncoded(text: string, decode: (text: string) => Uint8Array | undefined): ParsedCertificate | undefined;
  /**
   * `validate`, answered at once when nothing has to be waited for (a returning holder's cached
   * validation, or every CRL in hand), else a promise: a login then queues no microtask per step.
   */
  validateNow(
    ee: ParsedCertificate,
    supplied: readonly ParsedCertificate[],
    check: CertificateCheck,
  ): CertificateValidation | Promise<CertificateValidation>;
  validate(
    ee: ParsedCertificate,
    supplied: readonly ParsedCertificate[],
    check: CertificateCheck,
  ): Promise<CertificateValidation>;
}

/** How many CRLDP URIs of one certificate are fetched at most. */
const MAX_FETCHED_URIS = 3;

/** The http(s) URIs of a certificate's distribution points, at most MAX_FETCHED_URIS. */
function distributionPointUris(cert: ParsedCertificate): string[] {
  const uris: string[] = [];
  for (const dp of cert.crlDistributionPoints) {
    if (dp.name?.kind !== 'fullName') continue;
    for (const n of dp.name.names)
      if (n.kind === 'uniformResourceIdentifier' && /^https?:/i.test(n.value)) uris.push(n.value);
  }
  return [...new Set(uris)].slice(0, MAX_FETCHED_URIS);
}

export function createCertificateValidator(options: CertificateValidatorOptions): CertificateValidator {
  const keyPolicy = options.keyPolicy === undefined ? HPKI_KEY_POLICY : checkKeyPolicy(options.keyPolicy);
  const trust = createTrustStore({
    anchors: options.anchors,
    ...(options.intermediates ? { intermediates: options.intermediates } : {}),
  });
  const store = createCrlStore(options.crls ?? []);
  const mode = options.revocation ?? 'fail-closed';
  const fetcher = options.fetchCrls ? (options.crlFetcher ?? createCrlFetcher()) : undefined;
  const cache = createValidationCache(options.validationCacheMs);
  const signatures = createCrlSignatureCache();

  const provider: CrlProvider = {
    crlsFor(cert, endEntity) {
      const configured = store.relevantTo(cert);
      if (fetcher === undefined || !endEntity) return configured;
      const uris = distributionPointUris(cert);
      if (uris.length === 0) return configured;
      return Promise.all(uris.map((u) => fetcher.get(u))).then((fetched) => [
        ...configured,
        ...fetched.filter((c): c is ParsedCrl => c !== undefined),
      ]);
    },
  };

  return {
    trust,
    keyPolicy,
    skipped: { intermediates: trust.skippedIntermediates, crls: store.rejected },
    parse: (der) => trust.parse(der),
    parseEncoded: (text, decode) => trust.parseEncoded(text, decode),
    validateNow,
    validate: async (ee, supplied, check) => validateNow(ee, supplied, check),
  };

  /**
   * Only a returning holder's validation is cached (a certificate seen once leaves nothing behind
   * to collect), so only then is the cache asked: a first login builds no cache entry.
   */
  function validateNow(
    ee: ParsedCertificate,
    supplied: readonly ParsedCertificate[],
    check: CertificateCheck,
  ): CertificateValidation | Promise<CertificateValidation> {
    if (!trust.keeps(ee)) return validateAfresh(ee, supplied, check);
    const known = cache.get(ee, supplied, check);
    if (known !== undefined) return known;
    const keep = (validation: CertificateValidation): CertificateValidation => {
      if (trust.keeps(ee)) cache.put(ee, supplied, check, validation);
      return validation;
    };
    const validation = validateAfresh(ee, supplied, check);
    return validation instanceof Promise ? validation.then(keep) : keep(validation);
  }

  function validateAfresh(
    ee: ParsedCertificate,
    supplied: readonly ParsedCertificate[],
    check: CertificateCheck,
  ): CertificateValidation | Promise<CertificateValidation> {
    const fail = (
      error: HpkiError,
      path?: ParsedCertificate[],
      revocation?: PathRevocation,
    ): CertificateValidation => ({
      error,
      path,
      revocation,
    });
    if (check.purpose !== undefined) {
      try {
        checkPurpose(ee.info, check.purpose, check.policyArcs, ee.extKeyUsage);
      } catch (err) {
        if (err instanceof HpkiError) return fail(err);
        throw err;
      }
    }
    const built = validatePath(ee, supplied, trust, check.at, {
      keyPolicy,
      anchorsAsKeys: options.anchorsAsKeys === true,
    });
    if (!built.ok) return fail(new HpkiError(built.code, built.message), built.path);
    if (mode === 'off') return { error: undefined, path: built.path, revocation: undefined };

    const revocation = checkPathRevocation(built.path, provider, check.at, {
      store: trust,
      supplied,
      keyPolicy,
      signatures,
    });
    const path = built.path;
    return revocation instanceof Promise ? revocation.then((r) => concluded(path, r)) : concluded(path, revocation);
  }

  /** The validation once the path is built and its revocation known. */
  function concluded(path: ParsedCertificate[], revocation: PathRevocation): CertificateValidation {
    const fail = (error: HpkiError): CertificateValidation => ({ error, path, revocation });
    if (revocation.status === 'revoked') {
      const which = revocation.certificates.find((c) => c.status === 'revoked');
      return fail(
        new HpkiError('ERR_CERT_REVOKED', `${which?.subject ?? 'certificate'} is ${which?.detail ?? 'revoked'}`),
      );
    }
    if (revocation.status === 'unknown' && mode === 'fail-closed') {
      const which = revocation.certificates.find((c) => c.status === 'unknown');
      return fail(
        new HpkiError(
          'ERR_REVOCATION_UNKNOWN',
          `no current CRL for ${which?.subject ?? 'the certificate'}: ${which?.detail ?? ''}`,
        ),
      );
    }
    return { error: undefined, path, revocation };
  }
}
