import { HpkiError } from '../../protocol/errors.js';
import type { HpkiCertificateInfo } from '../../protocol/hpki-certificate.js';

/**
 * PROTOCOL.md §5 step 7: the certificate's hcRole must be one the site admits. Returns it. `'any'`
 * admits every role but still wants exactly one (the OpenID provider decides per client, §10).
 */
export function checkRole(info: HpkiCertificateInfo, allowedRoles: readonly string[] | 'any'): string {
  const role = info.hcRole;
  if (role === undefined) throw new HpkiError('ERR_ROLE_NOT_ALLOWED', 'certificate has no (single) hcRole');
  if (allowedRoles !== 'any' && !allowedRoles.includes(role))
    throw new HpkiError('ERR_ROLE_NOT_ALLOWED', `role '${role}' is not allowed here`);
  return role;
}
