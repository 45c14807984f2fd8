import { HpkiError } from '../../protocol/errors.js';
import type { ApduTransport } from '../transport/index.js';
import {
  changeReferenceData,
  changeReferenceDataNewOnly,
  parseResponse,
  type ResponseApdu,
  verifyPin,
  verifyStatus,
} from './apdu.js';
import type { PinStatus } from './card-token.js';
import { MAX_PIN_RETRIES } from './constants.js';
import { refuseMalformedPin } from './pin-format.js';
import { checkStatusWord, describeStatusWord, meansPinBlocked, SW } from './status-words.js';

/**
 * The PIN commands of the selected application (HPKI-CARD.md §2–§3): the retry counter, VERIFY and
 * CHANGE REFERENCE DATA. Each presents a PIN to the card at most once and never retries; the APDU
 * bytes that carried a PIN are zeroed once the card has answered.
 */

function cardError(step: string, sw: number): HpkiError {
  return new HpkiError('ERR_HPKI_INTERNAL', `card refused ${step}: ${describeStatusWord(sw)}`);
}

/** Sends a command that carries PIN bytes, then zeroes those bytes and the command. */
async function sendWithPins(transport: ApduTransport, command: Uint8Array, pins: Uint8Array[]): Promise<ResponseApdu> {
  try {
    return parseResponse(await transport.transmit(command));
  } finally {
    command.fill(0);
    for (const pin of pins) pin.fill(0);
  }
}

/** The protocol error for a PIN the card did not take, or undefined for any other status word. */
function pinFailure(sw: number): HpkiError | undefined {
  const checked = checkStatusWord(sw);
  if (meansPinBlocked(checked)) {
    return new HpkiError('ERR_HPKI_PIN_BLOCKED', 'the PIN is blocked after too many wrong attempts', {
      retriesLeft: 0,
    });
  }
  if (checked.kind === 'retries') {
    return new HpkiError('ERR_HPKI_PIN_INCORRECT', `wrong PIN, ${checked.retriesLeft} tries left`, {
      retriesLeft: checked.retriesLeft,
    });
  }
  return undefined;
}

/** Reads the retry counter without consuming a try. */
export async function readPinStatus(transport: ApduTransport): Promise<PinStatus> {
  const r = parseResponse(await transport.transmit(verifyStatus()));
  const checked = checkStatusWord(r.sw);
  if (checked.kind === 'retries') return { retriesLeft: checked.retriesLeft, maxRetries: MAX_PIN_RETRIES };
  if (meansPinBlocked(checked)) return { retriesLeft: 0, maxRetries: MAX_PIN_RETRIES };
  // 9000: already verified in this session, so the counter is full.
  if (r.sw === SW.OK) return { retriesLeft: MAX_PIN_RETRIES, maxRetries: MAX_PIN_RETRIES };
  throw cardError('VERIFY (retry counter)', r.sw);
}

/** VERIFY with the PIN, once (a PIN no card holds is refused unsent). Wrong → ERR_HPKI_PIN_INCORRECT with retriesLeft; locked → ERR_HPKI_PIN_BLOCKED. */
export async function presentPin(transport: ApduTransport, pin: string): Promise<void> {
  refuseMalformedPin(pin);
  const bytes = new TextEncoder().encode(pin);
  const r = await sendWithPins(transport, verifyPin(bytes), [bytes]);
  if (r.sw === SW.OK) return;
  throw pinFailure(r.sw) ?? cardError('VERIFY', r.sw);
}

/** Answers by which a card says it does not take the `old ‖ new` form of CHANGE REFERENCE DATA. */
const NEW_ONLY_FALLBACK: ReadonlySet<number> = new Set([SW.WRONG_P1P2, SW.WRONG_LENGTH]);

/**
 * Changes the selected application's PIN. The current PIN is checked once, by VERIFY: the card
 * compares it whole, and a wrong one counts one try. Only then `00 24 00 88 old‖new`, or, on a card
 * that refuses that form (6A86/6700), `00 24 01 88 new` in the verified session.
 *
 * Why VERIFY first: a card splits `old‖new` by the length of the PIN it holds (HPKI-CARD.md §3), so
 * a typed current PIN one character too long ("12345" for "1234") would pass as right, and the
 * card would store "5" followed by the new PIN: a PIN the doctor never typed, which the JMA cannot
 * disclose. After the VERIFY the typed PIN is the held one, and the split falls exactly between the
 * two. The current PIN reaches the card a second time only once it is known to be right, so no try
 * can be taken twice.
 */
export async function changePin(transport: ApduTransport, pin: string, newPin: string): Promise<void> {
  refuseMalformedPin(pin);
  refuseMalformedPin(newPin, 'new PIN');
  await presentPin(transport, pin);
  const encoder = new TextEncoder();
  const old = encoder.encode(pin);
  const next = encoder.encode(newPin);
  let r = await sendWithPins(transport, changeReferenceData(old, next), [old, next]);
  if (NEW_ONLY_FALLBACK.has(r.sw)) {
    const again = encoder.encode(newPin);
    r = await sendWithPins(transport, changeReferenceDataNewOnly(again), [again]);
  }
  if (r.sw === SW.OK) return;
  throw pinFailure(r.sw) ?? cardError('CHANGE REFERENCE DATA', r.sw);
}
