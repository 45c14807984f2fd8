import { constants, publicDecrypt } from 'node:crypto';
import { decodeBase64Strict } from '../../protocol/base64.js';
import {
  buildDigestInfo,
  HASH_ALGORITHMS,
  type HashAlgorithm,
  SIGNATURE_ALGORITHMS,
  type SignatureAlgorithm,
} from '../../protocol/digest-info.js';
import { HpkiError } from '../../protocol/errors.js';
import { MAX_INTERMEDIATES, MAX_TOKEN_BYTES } from '../../protocol/token.js';
import type { ParsedCertificate } from '../cert/index.js';
import { DEFAULT_SIGN_POLICY_ARCS, type KeyPolicy, usableKey } from '../cert/index.js';
import type { CertificateValidator, CertificateValidatorOptions } from './certificate-validator.js';
import { createCertificateValidator } from './certificate-validator.js';
import { checkRole } from './role.js';
import { type LoginResult, loginResult } from './token-verifier.js';

/**
 * The site's check of a raw signature from the page API's `sign` (PROTOCOL.md §11): the certificate
 * that `getSigningCertificate` returned is validated with purpose `sign` by the same validator as a
 * login (nonRepudiation, the signing policy arc, the RFC 5280 path, CRLs), then the RSASSA-PKCS1-v1_5
 * signature is checked over DigestInfo(hash) as the site computed the hash, then the hcRole. Document
 * formats (CAdES, PAdES, XAdES) build on this; it ends at a verified raw signature.
 */

export interface SignatureVerifierOptions extends CertificateValidatorOptions {
  /** Default ['Medical Doctor']; `'any'` for a caller that decides on the role itself. */
  allowedRoles?: string[] | 'any';
  /** Default ['1.2.392.100495.1.5.1.1']. */
  signPolicyArcs?: string[];
  now?: () => Date;
}

/** What the page returned, and the hash the site's server computed itself. Binary fields: standard base64 or bytes. */
export interface RawSignature {
  /** The signing certificate (`getSigningCertificate().certificate`). */
  certificate: string | Uint8Array;
  /** CA certificates from the card (`getSigningCertificate().intermediates`), nearest first. */
  intermediates?: readonly (string | Uint8Array)[];
  hashAlgorithm: HashAlgorithm;
  /** The hash of the document, as the site's server computed it (never taken from the page). */
  hash: string | Uint8Array;
  /** `sign().signature`. */
  signature: string | Uint8Array;
  /** `sign().signatureAlgorithm`, checked against `hashAlgorithm` when given. */
  signatureAlgorithm?: string;
}

export interface SignatureResult extends LoginResult {
  hashAlgorithm: HashAlgorithm;
  signatureAlgorithm: SignatureAlgorithm;
}

export interface SignatureVerifier {
  /** Resolves with the signer when everything holds; rejects with an HpkiError of PROTOCOL.md §5's codes. */
  verify(input: RawSignature): Promise<SignatureResult>;
}

/** RSA-4096 is the largest key the HPKI key policy admits. */
const MAX_SIGNATURE_BYTES = 512;

function malformed(message: string): HpkiError {
  return new HpkiError('ERR_TOKEN_MALFORMED', message);
}

function bytesOf(value: unknown, what: string, maxBytes: number): Uint8Array {
  let bytes: Uint8Array | undefined;
  if (value instanceof Uint8Array) bytes = value;
  else if (typeof value === 'string' && value.length <= Math.ceil(maxBytes / 3) * 4) bytes = decodeBase64Strict(value);
  if (bytes === undefined || bytes.length === 0 || bytes.length > maxBytes) {
    throw malformed(`${what} is not standard base64 of at most ${maxBytes} bytes`);
  }
  return bytes;
}

interface Decoded {
  ee: ParsedCertificate;
  supplied: ParsedCertificate[];
  algorithm: HashAlgorithm;
  digestInfo: Uint8Array;
  signature: Uint8Array;
}

function decodeInput(input: RawSignature, validator: CertificateValidator): Decoded {
  const algorithm = HASH_ALGORITHMS.find((a) => a === input.hashAlgorithm);
  if (algorithm === undefined) throw malformed('hashAlgorithm is not SHA-256, SHA-384 or SHA-512');
  if (input.signatureAlgorithm !== undefined && input.signatureAlgorithm !== SIGNATURE_ALGORITHMS[algorithm]) {
    throw malformed(`signatureAlgorithm does not match ${algorithm}`);
  }
  const intermediates = input.intermediates ?? [];
  if (!Array.isArray(intermediates) || intermediates.length > MAX_INTERMEDIATES) {
    throw malformed(`at most ${MAX_INTERMEDIATES} intermediates`);
  }
  let digestInfo: Uint8Array;
  try {
    digestInfo = buildDigestInfo(algorithm, bytesOf(input.hash, 'hash', 64));
  } catch (err) {
    if (err instanceof HpkiError) throw err;
    throw malformed(`hash is not a ${algorithm} hash`);
  }
  const parse = (value: unknown, what: string): ParsedCertificate => {
    try {
      return validator.parse(bytesOf(value, what, MAX_TOKEN_BYTES));
    } catch (err) {
      if (err instanceof HpkiError && err.code === 'ERR_TOKEN_MALFORMED') throw err;
      throw malformed(`${what} is not a certificate`);
    }
  };
  return {
    ee: parse(input.certificate, 'certificate'),
    supplied: intermediates.map((c, i) => parse(c, `intermediates[${i}]`)),
    algorithm,
    digestInfo,
    signature: bytesOf(input.signature, 'signature', MAX_SIGNATURE_BYTES),
  };
}

/**
 * Checks an RSASSA-PKCS1-v1_5 signature by `certificate`'s key over exactly `digestInfo` (the block
 * the card signed), after the key policy (usableKey): ERR_SIGNATURE_INVALID saying `failure` when it does not
 * verify. The raw signature check here and the document formats' (XAdES SignedInfo) share it.
 */
export function checkDigestInfoSignature(
  certificate: ParsedCertificate,
  keyPolicy: Readonly<KeyPolicy>,
  signature: Uint8Array,
  digestInfo: Uint8Array,
  failure: string,
): void {
  const key = usableKey(certificate, keyPolicy);
  let recovered: Buffer | undefined;
  try {
    recovered = publicDecrypt({ ...('key' in key ? key : { key }), padding: constants.RSA_PKCS1_PADDING }, signature);
  } catch {
    recovered = undefined;
  }
  if (recovered === undefined || !recovered.equals(digestInfo)) throw new HpkiError('ERR_SIGNATURE_INVALID', failure);
}

function checkSignature(decoded: Decoded, validator: CertificateValidator): void {
  checkDigestInfoSignature(
    decoded.ee,
    validator.keyPolicy,
    decoded.signature,
    decoded.digestInfo,
    `signature does not verify over this ${decoded.algorithm} hash`,
  );
}

export function createSignatureVerifier(options: SignatureVerifierOptions): SignatureVerifier {
  const validator = createCertificateValidator(options);
  const allowedRoles = options.allowedRoles ?? ['Medical Doctor'];
  const policyArcs = options.signPolicyArcs ?? DEFAULT_SIGN_POLICY_ARCS;
  const now = options.now ?? (() => new Date());
  return {
    async verify(input) {
      const decoded = decodeInput(input, validator);
      const validation = await validator.validate(decoded.ee, decoded.supplied, {
        at: now(),
        purpose: 'sign',
        policyArcs,
      });
      if (validation.error !== undefined) throw validation.error;
      checkSignature(decoded, validator);
      const hcRole = checkRole(decoded.ee.info, allowedRoles);
      return {
        ...loginResult(decoded.ee, hcRole),
        hashAlgorithm: decoded.algorithm,
        signatureAlgorithm: SIGNATURE_ALGORITHMS[decoded.algorithm],
      };
    },
  };
}
