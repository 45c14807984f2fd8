import type { LoginResult } from '../verify/index.js';

/** Who is logged into the demo portal, and how. */
export type PortalUser =
  | { method: 'hpki'; login: LoginResult }
  | { method: 'password'; account: string; displayName: string };

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
  const { name, nameJa } = user.login.holder;
  return nameJa !== undefined && nameJa.trim() !== '' ? nameJa.replace(/\u3000/g, ' ') : name;
}

/** HPKI holders are all licensed professionals, addressed as 先生; the password account is not. */
export function honorific(user: PortalUser): string {
  return user.method === 'hpki' ? '先生' : 'さん';
}
