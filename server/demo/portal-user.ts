import { NAME_JA_CLAIM } from '../../protocol/sso.js';
import type { PageLang } from '../http/index.js';
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

/** The Japanese names of the hcRoles the portal knows; any other role, and every role in English, is shown as it is. */
const ROLE_LABELS: Readonly<Record<string, string>> = {
  'Medical Doctor': '医師',
  Pharmacist: '薬剤師',
};

export function roleLabel(hcRole: string, lang: PageLang = 'ja'): string {
  if (lang === 'en') return hcRole;
  return Object.hasOwn(ROLE_LABELS, hcRole) ? ROLE_LABELS[hcRole]! : hcRole;
}

/** The password account's name on the English pages. */
export const DEMO_ACCOUNT_NAME_EN = 'Demo User';

/**
 * The holder's name as the greeting shows it: on a Japanese page the Japanese name with an ordinary
 * space, else romaji; on an English page romaji, else the Japanese name.
 */
export function displayName(user: PortalUser, lang: PageLang = 'ja'): string {
  if (user.method === 'password') return lang === 'en' ? DEMO_ACCOUNT_NAME_EN : user.displayName;
  const { name, nameJa } =
    user.method === 'hpki'
      ? user.login.holder
      : { name: claim(user.sso, 'name') ?? '', nameJa: claim(user.sso, NAME_JA_CLAIM) };
  if (lang === 'en' && name.trim() !== '') return name;
  return nameJa !== undefined && nameJa.trim() !== '' ? nameJa.replace(/\u3000/g, ' ') : name;
}

/** The greeting: HPKI holders (directly or through SSO) are all licensed professionals, addressed as 先生 (Dr.); the password account is not. */
export function greeting(name: string, professional: boolean, lang: PageLang): string {
  if (lang === 'en') return professional ? `Welcome, Dr. ${name}` : `Welcome, ${name}`;
  return `ようこそ ${name} ${professional ? '先生' : 'さん'}`;
}
