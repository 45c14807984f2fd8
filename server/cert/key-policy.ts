import type { DecodedCertificate } from '../../protocol/certificate-der.js';
import { RSA_ENCRYPTION_OID } from '../../protocol/certificate-der.js';

/**
 * Which public keys the verifier uses at all: every key on a path (trust anchor, CAs, CRL signers)
 * and the end entity's. Checked from the DER before any signature is verified with the key, so a
 * certificate with a huge public exponent (hundreds of times the cost of a normal verification) or
 * a weak modulus costs a comparison, not an RSA operation.
 *
 * The default is the HPKI profile: every real HPKI certificate, from the MHLW root to the card, is
 * RSA 2048 with e = 65537 (HPKI-CARD.md §6). Other policies are for tests and other PKIs only.
 */
export interface KeyPolicy {
  /** Smallest RSA modulus accepted, in bits. */
  minRsaBits: number;
  /** Largest RSA modulus accepted, in bits (bounds the cost of one verification). */
  maxRsaBits: number;
  /** Public exponents accepted. */
  rsaExponents: readonly number[];
}

export const HPKI_KEY_POLICY: Readonly<KeyPolicy> = Object.freeze({
  minRsaBits: 2048,
  maxRsaBits: 4096,
  rsaExponents: Object.freeze([65537]),
});

/** Bounds no policy may leave: below 1024 bits RSA is broken, above 16384 one verification costs too much. */
const ABSOLUTE_MIN_BITS = 1024;
const ABSOLUTE_MAX_BITS = 16_384;
const MAX_EXPONENT = 2 ** 32;

/** Checks a policy given as an option; throws a plain Error (a configuration mistake). */
export function checkKeyPolicy(policy: KeyPolicy): Readonly<KeyPolicy> {
  const { minRsaBits, maxRsaBits, rsaExponents } = policy;
  if (
    !Number.isInteger(minRsaBits) ||
    !Number.isInteger(maxRsaBits) ||
    minRsaBits < ABSOLUTE_MIN_BITS ||
    maxRsaBits > ABSOLUTE_MAX_BITS ||
    minRsaBits > maxRsaBits
  ) {
    throw new Error(
      `keyPolicy: RSA sizes must be integers with ${ABSOLUTE_MIN_BITS} ≤ minRsaBits ≤ maxRsaBits ≤ ${ABSOLUTE_MAX_BITS}`,
    );
  }
  if (
    !Array.isArray(rsaExponents) ||
    rsaExponents.length === 0 ||
    rsaExponents.some((e) => !Number.isInteger(e) || e < 3 || e % 2 === 0 || e > MAX_EXPONENT)
  ) {
    throw new Error(`keyPolicy: rsaExponents must be odd integers from 3 to 2^32`);
  }
  return Object.freeze({ minRsaBits, maxRsaBits, rsaExponents: Object.freeze([...rsaExponents]) });
}

/** Why the certificate's key is not acceptable under `policy`, or undefined when it is. */
export function keyPolicyProblem(decoded: DecodedCertificate, policy: KeyPolicy): string | undefined {
  if (decoded.publicKeyAlgorithm !== RSA_ENCRYPTION_OID)
    return `key algorithm ${decoded.publicKeyAlgorithm} is not RSA (the verifier accepts RSA keys only)`;
  const params = decoded.publicKeyParameters;
  // RFC 3279 §2.3.1: the rsaEncryption parameters MUST be NULL.
  if (params === undefined || params.length !== 2 || params[0] !== 0x05 || params[1] !== 0x00)
    return 'RSA key parameters are not NULL';
  const rsa = decoded.rsaKey;
  if (rsa === undefined) return 'RSA public key does not parse';
  if (rsa.modulusBits < policy.minRsaBits || rsa.modulusBits > policy.maxRsaBits) {
    return `RSA-${rsa.modulusBits} key (the key policy accepts ${policy.minRsaBits}–${policy.maxRsaBits} bits)`;
  }
  if (!policy.rsaExponents.some((e) => BigInt(e) === rsa.exponent)) {
    const shown =
      rsa.exponent < 1n << 64n ? rsa.exponent.toString() : `a ${rsa.exponent.toString(2).length}-bit number`;
    return `RSA public exponent ${shown} (the key policy accepts ${policy.rsaExponents.join(', ')})`;
  }
  return undefined;
}
