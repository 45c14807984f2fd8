import { constants, privateEncrypt } from 'node:crypto';
import { parseEmsaPkcs1v15 } from '../../protocol/signed-data.js';
import { makePinRecord, type PinRecord, pinMatches } from './card-file.js';
import { type CardApplication, type CardContext, KEY_BYTES } from './card-state.js';
import type { CommandApdu } from './command-apdu.js';
import { FID, PIN_REFERENCE } from './pkcs15-layout.js';
import { respond, retriesStatus, SW } from './status-words.js';

/**
 * VERIFY (JAHIS C.3), CHANGE REFERENCE DATA (ISO/IEC 7816-4 §11.5.7), MSE:SET (C.5), PSO:CDS (C.6)
 * and the proprietary card-padded signature.
 */

/** The longest PIN the card stores (HPKI-CARD.md §3); longer data is refused without costing a try. */
const MAX_PIN_LENGTH = 16;
/** PKCS#1 v1.5 needs 11 bytes of the block for its own padding. */
const MAX_CARD_PADDED_INPUT = KEY_BYTES - 11;

export function verify(card: CardContext, c: CommandApdu): Uint8Array {
  const app = card.session.current;
  if (app === undefined) return respond(SW.FILE_NOT_FOUND);
  if (c.p1 !== 0x00 || c.p2 !== PIN_REFERENCE) return respond(SW.WRONG_P1P2);
  const pin = app.pin;
  // Without data VERIFY only reports the counter and consumes nothing (HPKI-CARD.md §2).
  if (c.data.length === 0) return respond(retriesStatus(pin.retriesLeft));
  if (c.data.length > MAX_PIN_LENGTH) return respond(SW.WRONG_LENGTH);
  if (pin.retriesLeft === 0) return respond(card.blockedStatusWord);
  if (pinMatches(pin, c.data)) {
    if (pin.retriesLeft !== pin.maxRetries) {
      pin.retriesLeft = pin.maxRetries;
      card.persistPin();
    }
    card.session.verified.add(app.purpose);
    return respond(SW.OK);
  }
  return wrongPin(card, app);
}

/** The shortest PIN the card stores. */
const MIN_PIN_LENGTH = 4;

/** A wrong PIN: one try fewer, the verified state gone, `63Cx` (or the blocked word at 0). */
function wrongPin(card: CardContext, app: CardApplication): Uint8Array {
  app.pin.retriesLeft -= 1;
  card.persistPin();
  card.session.verified.delete(app.purpose);
  return respond(retriesStatus(app.pin.retriesLeft));
}

/** Stores `newPin` as the application's PIN, with a full counter, keeping the same record object. */
function storePin(card: CardContext, pin: PinRecord, newPin: Uint8Array): Uint8Array {
  const text = new TextDecoder().decode(newPin);
  let record: PinRecord;
  try {
    record = makePinRecord(text, pin.maxRetries);
  } catch {
    return respond(SW.WRONG_DATA);
  }
  Object.assign(pin, record);
  card.persistPin();
  return respond(SW.OK);
}

/**
 * The split of `old ‖ new` whose old part is the stored PIN. The card keeps only a salted hash, so it
 * tries each length a PIN may have (4–16) instead of a stored length; a hash matches one prefix only.
 */
function oldPinLength(pin: PinRecord, data: Uint8Array): number | undefined {
  for (let n = MIN_PIN_LENGTH; n <= MAX_PIN_LENGTH; n++) {
    const rest = data.length - n;
    if (rest < MIN_PIN_LENGTH) break;
    if (rest <= MAX_PIN_LENGTH && pinMatches(pin, data.subarray(0, n))) return n;
  }
  return undefined;
}

/**
 * CHANGE REFERENCE DATA: P1=00 with `old PIN ‖ new PIN` (a wrong old PIN counts like VERIFY), or
 * P1=01 with the new PIN only, after a VERIFY in this session (HPKI-CARD.md §3).
 */
export function changeReferenceData(card: CardContext, c: CommandApdu): Uint8Array {
  const app = card.session.current;
  if (app === undefined) return respond(SW.FILE_NOT_FOUND);
  if ((c.p1 !== 0x00 && c.p1 !== 0x01) || c.p2 !== PIN_REFERENCE) return respond(SW.WRONG_P1P2);
  const pin = app.pin;
  if (c.p1 === 0x01) {
    if (c.data.length < MIN_PIN_LENGTH || c.data.length > MAX_PIN_LENGTH) return respond(SW.WRONG_LENGTH);
    if (pin.retriesLeft === 0) return respond(card.blockedStatusWord);
    if (!card.session.verified.has(app.purpose)) return respond(SW.SECURITY_NOT_SATISFIED);
    return storePin(card, pin, c.data);
  }
  if (c.data.length < 2 * MIN_PIN_LENGTH || c.data.length > 2 * MAX_PIN_LENGTH) return respond(SW.WRONG_LENGTH);
  if (pin.retriesLeft === 0) return respond(card.blockedStatusWord);
  const n = oldPinLength(pin, c.data);
  if (n === undefined) return wrongPin(card, app);
  card.session.verified.add(app.purpose);
  return storePin(card, pin, c.data.subarray(n));
}

/** Splits simple one-byte-tag TLVs; undefined when the lengths do not add up. */
function splitTlvs(data: Uint8Array): { tag: number; value: Uint8Array }[] | undefined {
  const out: { tag: number; value: Uint8Array }[] = [];
  for (let i = 0; i < data.length; ) {
    if (i + 2 > data.length) return undefined;
    const tag = data[i]!;
    const length = data[i + 1]!;
    if (length >= 0x80 || i + 2 + length > data.length) return undefined;
    out.push({ tag, value: data.subarray(i + 2, i + 2 + length) });
    i += 2 + length;
  }
  return out;
}

export function manageSecurityEnvironment(card: CardContext, c: CommandApdu): Uint8Array {
  const app = card.session.current;
  if (app === undefined) return respond(SW.FILE_NOT_FOUND);
  if (c.p1 !== 0x41 || c.p2 !== 0xb6) return respond(SW.WRONG_P1P2);
  card.session.signingKeySet = false;
  if (c.data.length === 0) return respond(SW.WRONG_LENGTH);
  const tlvs = splitTlvs(c.data);
  if (tlvs === undefined) return respond(SW.TLV_INCONSISTENT);
  // 84 (key reference) as the 2024 JMA tool sends it, 81 (file reference) as in the JAHIS sample;
  // 80 (algorithm reference) is accepted and ignored: the card does one algorithm.
  const references = tlvs.filter((t) => t.tag === 0x84 || t.tag === 0x81);
  if (tlvs.some((t) => t.tag !== 0x84 && t.tag !== 0x81 && t.tag !== 0x80)) return respond(SW.WRONG_DATA);
  const [reference] = references;
  if (references.length !== 1 || reference === undefined || reference.value.length !== 2) return respond(SW.WRONG_DATA);
  const fid = (reference.value[0]! << 8) | reference.value[1]!;
  if (fid === FID.PRIVATE_KEY) {
    card.session.signingKeySet = true;
    return respond(SW.OK);
  }
  // As probed on a real card: other existing FIDs are not keys, unknown ones are not found.
  return respond(app.files.has(fid) ? SW.INCOMPATIBLE_WITH_FILE : SW.FILE_NOT_FOUND);
}

function signed(card: CardContext, app: CardApplication, signature: Buffer): Uint8Array {
  // The signing key needs the PIN before every signature (HPKI-CARD.md §1); the auth key once per session.
  if (app.purpose === 'sign') card.session.verified.delete('sign');
  return respond(SW.OK, new Uint8Array(signature));
}

/** PSO: COMPUTE DIGITAL SIGNATURE over a block the host padded (form A). */
export function computeDigitalSignature(card: CardContext, c: CommandApdu): Uint8Array {
  const app = card.session.current;
  if (app === undefined) return respond(SW.FILE_NOT_FOUND);
  if (c.p1 !== 0x9e || c.p2 !== 0x9a) return respond(SW.WRONG_P1P2);
  if (!card.session.verified.has(app.purpose)) return respond(SW.SECURITY_NOT_SATISFIED);
  if (!card.session.signingKeySet) return respond(SW.CONDITIONS_NOT_SATISFIED);
  if (c.data.length !== KEY_BYTES || (c.ne !== undefined && c.ne < KEY_BYTES)) return respond(SW.WRONG_LENGTH);
  // Stricter than the real card, which signs any block: a test card should catch a host that pads wrong.
  if (parseEmsaPkcs1v15(c.data) === undefined) return respond(SW.WRONG_DATA);
  const signature = privateEncrypt({ key: app.privateKey, padding: constants.RSA_NO_PADDING }, c.data);
  return signed(card, app, signature);
}

/** `80 2A 00 80`: the card pads the DigestInfo itself (form B), after SELECT EF 000C. */
export function proprietarySign(card: CardContext, c: CommandApdu): Uint8Array {
  const app = card.session.current;
  if (app === undefined) return respond(SW.FILE_NOT_FOUND);
  if (c.p1 !== 0x00 || c.p2 !== 0x80) return respond(SW.WRONG_P1P2);
  if (!card.session.verified.has(app.purpose)) return respond(SW.SECURITY_NOT_SATISFIED);
  if (card.session.currentEf?.fid !== FID.PRIVATE_KEY) return respond(SW.CONDITIONS_NOT_SATISFIED);
  if (c.data.length === 0 || c.data.length > MAX_CARD_PADDED_INPUT) return respond(SW.WRONG_LENGTH);
  if (c.ne !== undefined && c.ne < KEY_BYTES) return respond(SW.WRONG_LENGTH);
  // Like the real card, whatever it is given is signed: checking the DigestInfo is the host's job.
  const signature = privateEncrypt({ key: app.privateKey, padding: constants.RSA_PKCS1_PADDING }, c.data);
  return signed(card, app, signature);
}
