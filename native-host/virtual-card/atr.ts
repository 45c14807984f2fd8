/**
 * Answers to reset shaped like a contactless card seen through PC/SC (PC/SC part 3 §3.1.3.2.3:
 * `3B 8n 80 01 <historical bytes> TCK`), with the historical bytes of HPKI-CARD.md §4.
 */

function contactlessAtr(historical: readonly number[]): Uint8Array {
  const body = [0x3b, 0x80 | historical.length, 0x80, 0x01, ...historical];
  // TCK: XOR of every byte from T0 to the last historical byte.
  const tck = body.slice(1).reduce((x, b) => x ^ b, 0);
  return Uint8Array.from([...body, tck]);
}

export const HPKI_ATR = contactlessAtr([0x00, 0x4e, 0x00, 0x00, 0xf7, 0x81, 0xd1, 0x00]);
export const JPKI_ATR = contactlessAtr([0x00, 0x00, 0x41, 0xe0, 0xb3, 0x81, 0xa1, 0x00]);
