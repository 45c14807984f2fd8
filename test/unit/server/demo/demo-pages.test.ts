import { describe, expect, it } from 'vitest';
import { NAME_JA_CLAIM } from '../../../../protocol/sso.js';
import type { SsoUser } from '../../../../server/demo/oidc-rp.js';
import { DEMO_MESSAGES, leavingPage, loginPage, messagePage, portalPage } from '../../../../server/demo/pages.js';
import type { PortalUser } from '../../../../server/demo/portal-user.js';
import { recordsLoginPage, recordsPage } from '../../../../server/demo/records-pages.js';

/** The demo's pages speak one language each, chosen by Accept-Language (the routes), Japanese by default. */

const JAPANESE = /[\u3040-\u30ff\u4e00-\u9fff]/;
/** Sentences of the English pages that must never reach a Japanese one. */
const ENGLISH = /Sign in|Sign out|Welcome|This is a demo|Page not found|Qualification|Shared patients|Training/;

const ssoUser: SsoUser = {
  claims: {
    name: 'Nichii Taro',
    [NAME_JA_CLAIM]: '日医\u3000太郎',
    hpki_role: 'Medical Doctor',
    hpki_holder_id: 'H-1',
    hpki_not_after: '2030-03-31T00:00:00Z',
  },
  idToken: 'x',
  sub: 's',
  sid: undefined,
};

const users: PortalUser[] = [
  { method: 'sso', sso: ssoUser },
  {
    method: 'hpki',
    login: {
      certificateSha256: '00',
      serialNumber: '01',
      issuer: 'CA',
      notAfter: '2030-03-31T00:00:00Z',
      holder: { name: 'Nichii Taro', nameJa: '日医\u3000太郎', id: 'H-1' },
      hcRole: 'Medical Doctor',
    },
  },
  { method: 'password', account: 'demo', displayName: 'デモ 利用者' },
];

function pages(lang: 'ja' | 'en'): string[] {
  return [
    loginPage({ lang, sso: true, error: { ja: 'エラー', en: 'Failed' }, accountId: 'demo' }),
    ...users.map((user) => portalPage(user, lang)),
    leavingPage('https://op.example/end', lang),
    messagePage(lang, DEMO_MESSAGES.notFound.title, DEMO_MESSAGES.notFound.message),
    messagePage(lang, DEMO_MESSAGES.crossSite.title, DEMO_MESSAGES.crossSite.message),
    recordsLoginPage(lang, { ja: 'エラー', en: 'Failed' }),
    recordsPage(ssoUser, lang),
  ];
}

describe('the demo pages in one language', () => {
  it('Japanese: html lang="ja", no English sentence', () => {
    for (const page of pages('ja')) {
      expect(page).toContain('<html lang="ja">');
      expect(page).not.toMatch(ENGLISH);
    }
    const [login, sso, , password] = pages('ja');
    expect(login).toContain('はれやか医療ネット（デモ）');
    expect(sso).toContain('ようこそ 日医 太郎 先生');
    expect(password).toContain('ようこそ デモ 利用者 さん');
  });

  it('English: html lang="en", no Japanese but the card’s own name', () => {
    for (const page of pages('en')) {
      expect(page).toContain('<html lang="en">');
      expect(page.replace('医師資格証', '')).not.toMatch(JAPANESE);
    }
    const [login, sso, hpki, password] = pages('en');
    expect(login).toContain('Hareyaka Medical Net (demo)');
    expect(sso).toContain('Welcome, Dr. Nichii Taro');
    expect(hpki).toContain('Medical Doctor');
    expect(password).toContain('Welcome, Demo User');
  });
});
