/**
 * PC/SC constants the host uses. They have the same values on Windows, macOS and Linux (winscard.h,
 * PCSC.framework's and pcsc-lite's pcsclite.h); the unit test reads them back from pcsc-lite's header.
 */

export const SCARD_SCOPE_SYSTEM = 0x0002;

export const SCARD_SHARE_EXCLUSIVE = 0x0001;
export const SCARD_PROTOCOL_T0 = 0x0001;
export const SCARD_PROTOCOL_T1 = 0x0002;

export const SCARD_LEAVE_CARD = 0x0000;
export const SCARD_RESET_CARD = 0x0001;

export const SCARD_STATE_UNAWARE = 0x0000;
export const SCARD_STATE_CHANGED = 0x0002;
export const SCARD_STATE_UNKNOWN = 0x0004;
export const SCARD_STATE_UNAVAILABLE = 0x0008;
export const SCARD_STATE_EMPTY = 0x0010;
export const SCARD_STATE_PRESENT = 0x0020;
export const SCARD_STATE_MUTE = 0x0200;

/** SCardGetStatusChange's "wait for ever" (0xFFFFFFFF, as a DWORD on every system). */
export const INFINITE = 0xffff_ffff;

/** The pseudo-reader whose state changes when a reader is plugged in or out. */
export const PNP_NOTIFICATION = '\\\\?PnP?\\Notification';

/** A card is usable when the reader says PRESENT and not MUTE (a card the wrong way round is mute). */
export function cardInState(state: number): boolean {
  return (state & SCARD_STATE_PRESENT) !== 0 && (state & SCARD_STATE_MUTE) === 0;
}
