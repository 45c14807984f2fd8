import { isValidPinFormat } from '../../protocol/challenge.js';
import { HpkiError } from '../../protocol/errors.js';

/**
 * Throws ERR_HPKI_INVALID_ARGUMENT for a PIN no HPKI card holds (HPKI-CARD.md §3: 4–16 printable
 * ASCII), before anything is sent: the card would count it as a wrong PIN and take a try. Every
 * backend's VERIFY and change of PIN pass here, whoever calls them (the host checks its messages
 * already; the `sign` command and any other caller do not go through those). `what` names the
 * field, never its value.
 */
export function refuseMalformedPin(value: string, what = 'PIN'): void {
  if (!isValidPinFormat(value)) {
    throw new HpkiError('ERR_HPKI_INVALID_ARGUMENT', `the ${what} must be 4–16 printable ASCII characters`);
  }
}
