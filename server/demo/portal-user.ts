import { NAME_JA_CLAIM } from '../../protocol/sso.js';
import type { LoginResult } from '../verify/index.js';
import type { SsoUser } from './oidc-rp.js';

/** Who is logged into the demo portal, and how: the card here, the card at the SSO provider, a password. */
export type PortalUser =
  | { method: 'hpki'; login: LoginResult }
  | { method: 'sso'; sso: SsoUser }
  | { method: 'password'; account: string; displayName: string };

/** A string claim of an SSO login, or undefined. */
export function claim(user: SsoUser, name: string): string | undefined {
  const value = user.claims[name];
  return typeof value === 'string' ? value : undefined;
}

/** The Japanese names of the hcRoles the portal knows; any other role is shown as it is. */
const ROLE_LABELS: Readonly<Record<string, string>> = {
  'Medical Doctor': '医師',
  Pharmacist: '薬剤師',
};

export function roleLabel(hcRole: string): string {
  return Object.hasOwn(ROLE_LABELS, hcRole) ? ROLE_LABELS[hcRole]! : hcRole;
}

/** The holder's name as the greeting shows it: Japanese with an ordinary space, else romaji. */
export function displayName(user: PortalUser): string {
  if (user.method === 'password') return user.displayName;
  const { name, nameJa } =
    user.method === 'hpki'
      ? user.login.holder
      : { name: claim(user.sso, 'name') ?? '', nameJa: claim(user.sso, NAME_JA_CLAIM) };
  return nameJa !== undefined && nameJa.trim() !== '' ? nameJa.replace(/\u3000/g, ' ') : name;
}

/** HPKI holders (directly or through SSO) are all licensed professionals, addressed as 先生; the password account is not. */
export function honorific(user: PortalUser): string {
  return user.method === 'password' ? 'さん' : '先生';
}
