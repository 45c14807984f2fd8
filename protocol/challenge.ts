/** A site's challenge, PROTOCOL.md §1.1: 43–128 base64url characters (≥ 256 bits of entropy). */
export const CHALLENGE_PATTERN = /^[A-Za-z0-9_-]{43,128}$/;

export function isValidChallenge(value: unknown): value is string {
  return typeof value === 'string' && CHALLENGE_PATTERN.test(value);
}

/** The PIN of HPKI-CARD.md §3: 4–16 printable ASCII characters. */
export const PIN_PATTERN = /^[\x21-\x7e]{4,16}$/;

export function isValidPinFormat(value: unknown): value is string {
  return typeof value === 'string' && PIN_PATTERN.test(value);
}
