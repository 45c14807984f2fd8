import { X509Certificate } from 'node:crypto';
import { expect } from 'vitest';
import { type CardFile, createVirtualCard, type VirtualCard } from '../../native-host/virtual-card/index.js';

/** APDUs written as hex for the virtual card's tests, and a way to send them and read the status word. */

export const AUTH_AID = 'e828bd080fa000000391000000000002';
export const SIGN_AID = 'e828bd080fa000000391000000000001';
export const PIN = '1234';

export const bytes = (hex: string): Uint8Array => new Uint8Array(Buffer.from(hex.replace(/\s+/g, ''), 'hex'));
export const hexOf = (b: Uint8Array): string => Buffer.from(b).toString('hex');

export function send(card: VirtualCard, command: string | Uint8Array): { sw: string; data: Uint8Array } {
  const response = card.process(typeof command === 'string' ? bytes(command) : command);
  expect(response.length).toBeGreaterThanOrEqual(2);
  return { sw: hexOf(response.subarray(-2)), data: response.subarray(0, -2) };
}
export const sw = (card: VirtualCard, command: string | Uint8Array): string => send(card, command).sw;

export const hexLen = (n: number): string => n.toString(16).padStart(2, '0');
export const selectAid = (aid: string, p2 = '00'): string => `00a404${p2}${hexLen(aid.length / 2)}${aid}00`;
export const selectEf = (fid: string): string => `00a4020c02${fid}`;
export const verifyPin = (pin: string): string => `00200088${hexLen(pin.length)}${Buffer.from(pin).toString('hex')}`;

/** The authentication certificate of an HPKI card file. */
export function authCertificate(data: CardFile): X509Certificate {
  if (data.kind !== 'hpki') throw new Error('fixture is an HPKI card');
  return new X509Certificate(Buffer.from(data.applications.auth.certificate, 'base64'));
}

/** A fresh card from `data` with the auth AP selected and, unless told otherwise, its PIN verified. */
export function authReady(data: CardFile, options: { verified?: boolean } = {}): VirtualCard {
  const card = createVirtualCard({ data });
  expect(sw(card, selectAid(AUTH_AID))).toBe('9000');
  if (options.verified ?? true) expect(sw(card, verifyPin(PIN))).toBe('9000');
  return card;
}
