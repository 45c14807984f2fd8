/** The fields that hold a PIN: `pin` (authenticate, sign, change-pin) and `newPin` (change-pin). */
const PIN_FIELDS = ['pin', 'newPin'] as const;

/**
 * Overwrites the PIN fields of a request once its command has ended, in the decoded message and in
 * its validated copy. JavaScript strings cannot be wiped, so the PIN's characters stay in memory until
 * the garbage collector takes them; this only drops every reference the host holds (SECURITY.md).
 */
export function forgetPin(...requests: unknown[]): void {
  for (const request of requests) {
    if (typeof request !== 'object' || request === null || !('params' in request)) continue;
    const params: unknown = request.params;
    if (typeof params !== 'object' || params === null) continue;
    for (const field of PIN_FIELDS) if (field in params) Object.assign(params, { [field]: '' });
  }
}
