import type { PinStatus } from '../card/index.js';

/**
 * PKCS#11 gives no retry count, only three token flags. HPKI cards allow 15 tries
 * (HPKI-CARD.md §3), and we never claim more tries than may remain:
 *
 * | flags                       | retriesLeft | why |
 * |-----------------------------|-------------|-----|
 * | CKF_USER_PIN_LOCKED         | 0           | blocked |
 * | CKF_USER_PIN_FINAL_TRY      | 1           | exact |
 * | CKF_USER_PIN_COUNT_LOW      | 2           | at least one wrong PIN since the last good one; 2 is the fewest that is not the final try |
 * | none                        | 15          | no wrong PIN since the last good one |
 */

export const HPKI_MAX_PIN_RETRIES = 15;
/** The lower bound that CKF_USER_PIN_COUNT_LOW allows. */
export const COUNT_LOW_RETRIES = 2;

export interface PinFlagBits {
  countLow: number;
  finalTry: number;
  locked: number;
}

export function pinStatusFromFlags(flags: number, bits: PinFlagBits): PinStatus {
  const retriesLeft =
    (flags & bits.locked) !== 0
      ? 0
      : (flags & bits.finalTry) !== 0
        ? 1
        : (flags & bits.countLow) !== 0
          ? COUNT_LOW_RETRIES
          : HPKI_MAX_PIN_RETRIES;
  return { retriesLeft, maxRetries: HPKI_MAX_PIN_RETRIES };
}
