/**
 * The status words the virtual card answers, with what they mean (ISO/IEC 7816-4 §5.6, and the
 * JAHIS HPKI card guideline annex C for the choices the standard leaves open).
 */
export const SW = {
  OK: 0x9000,
  /** Fewer bytes than Le were left in the EF (the data returned is the rest of the file). */
  END_OF_FILE: 0x6282,
  WRONG_LENGTH: 0x6700,
  LOGICAL_CHANNEL_NOT_SUPPORTED: 0x6881,
  LAST_COMMAND_OF_CHAIN_EXPECTED: 0x6883,
  CHAINING_NOT_SUPPORTED: 0x6884,
  /** The command does not fit the file (e.g. MSE naming an EF that is not a key). */
  INCOMPATIBLE_WITH_FILE: 0x6981,
  SECURITY_NOT_SATISFIED: 0x6982,
  AUTH_METHOD_BLOCKED: 0x6983,
  /** JAHIS C.3.4: "参照された IEF が閉そくしている", the blocked PIN's answer to VERIFY with data. */
  REFERENCE_DATA_BLOCKED: 0x6984,
  CONDITIONS_NOT_SATISFIED: 0x6985,
  NO_CURRENT_EF: 0x6986,
  WRONG_DATA: 0x6a80,
  FUNCTION_NOT_SUPPORTED: 0x6a81,
  FILE_NOT_FOUND: 0x6a82,
  /** Lc inconsistent with the TLV structure of the data (JAHIS C.5.4). */
  TLV_INCONSISTENT: 0x6a85,
  WRONG_P1P2: 0x6a86,
  OFFSET_OUTSIDE_EF: 0x6b00,
  INS_NOT_SUPPORTED: 0x6d00,
  CLA_NOT_SUPPORTED: 0x6e00,
  NO_PRECISE_DIAGNOSIS: 0x6f00,
} as const;

/** `63Cx`: wrong PIN (or the counter asked for), x tries left. */
export function retriesStatus(retriesLeft: number): number {
  return 0x63c0 | Math.max(0, Math.min(15, retriesLeft));
}

export function statusBytes(sw: number): Uint8Array {
  return Uint8Array.of((sw >> 8) & 0xff, sw & 0xff);
}

/** A response APDU: data, then SW1 SW2. */
export function respond(sw: number, data?: Uint8Array): Uint8Array {
  if (data === undefined || data.length === 0) return statusBytes(sw);
  const out = new Uint8Array(data.length + 2);
  out.set(data);
  out.set(statusBytes(sw), data.length);
  return out;
}
