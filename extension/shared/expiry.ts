/** How close a certificate is to its end; the popup and the PIN window warn under 60 days. */

export const EXPIRY_WARNING_DAYS = 60;
const DAY_MS = 24 * 60 * 60 * 1000;

export type ExpiryStatus =
  | { state: 'unknown' }
  | { state: 'expired' }
  | { state: 'soon'; daysLeft: number }
  | { state: 'ok'; daysLeft: number };

export function expiryStatus(notAfterIso: string | null, now: Date): ExpiryStatus {
  if (notAfterIso === null) return { state: 'unknown' };
  const notAfter = Date.parse(notAfterIso);
  if (Number.isNaN(notAfter)) return { state: 'unknown' };
  const remaining = notAfter - now.getTime();
  if (remaining <= 0) return { state: 'expired' };
  const daysLeft = Math.floor(remaining / DAY_MS);
  return daysLeft < EXPIRY_WARNING_DAYS ? { state: 'soon', daysLeft } : { state: 'ok', daysLeft };
}

/** `2031-11-20`, the same in both languages and unambiguous to Japanese readers. */
export function formatDate(iso: string | null): string | null {
  if (iso === null) return null;
  const time = Date.parse(iso);
  if (Number.isNaN(time)) return null;
  const d = new Date(time);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}
