import { digestInfoAlgorithm } from '../../protocol/digest-info.js';
import type { PinApplication } from '../../protocol/messages.js';

/**
 * What each of the card's keys may sign, checked by every backend before a block reaches the card
 * (which signs whatever it is given, HPKI-CARD.md §2): the authentication key a SHA-256 DigestInfo
 * (the login content, PROTOCOL.md §3), the signing key a DigestInfo of SHA-256, SHA-384 or SHA-512
 * (a site's document hash, §11). That a login never reaches the signing key and a site's hash never
 * the authentication key is the commands' part: each opens only its own application.
 */
export function signableBy(application: PinApplication, digestInfo: Uint8Array): boolean {
  const algorithm = digestInfoAlgorithm(digestInfo);
  return application === 'sign' ? algorithm !== undefined : algorithm === 'SHA-256';
}
