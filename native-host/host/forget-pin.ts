/**
 * Overwrites the PIN field of a request once its command has ended, in the decoded message and in
 * its validated copy. JavaScript strings cannot be wiped, so the PIN's characters stay in memory until
 * the garbage collector takes them; this only drops every reference the host holds (SECURITY.md).
 */
export function forgetPin(...requests: unknown[]): void {
  for (const request of requests) {
    if (typeof request !== 'object' || request === null || !('params' in request)) continue;
    const params: unknown = request.params;
    if (typeof params === 'object' && params !== null && 'pin' in params) Object.assign(params, { pin: '' });
  }
}
