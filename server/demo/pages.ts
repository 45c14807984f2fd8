import { type Bilingual, escapeHtml, type PageLang } from '../http/index.js';
import { FAVICON_PATH, STYLESHEET_PATH } from './assets.js';
import { DEMO_PATIENTS, type DemoPatient } from './patients.js';
import { claim, displayName, greeting, type PortalUser, roleLabel } from './portal-user.js';

/**
 * The demo portal's pages, each in one language: Japanese unless the browser prefers English
 * (Accept-Language, `pageLanguage`), like the provider's pages.
 */

export const PORTAL_NAME = 'はれやか医療ネット（デモ）';
const PORTAL_TITLE: Bilingual = { ja: PORTAL_NAME, en: 'Hareyaka Medical Net (demo)' };
export const DEMO_ACCOUNT = { id: 'demo', password: 'demo-password', displayName: 'デモ 利用者' } as const;

const LAYOUT_TEXT = {
  ja: {
    logout: 'ログアウト',
    tagline: '地域医療連携ネットワーク',
    footer: 'これはデモです。表示される患者情報はすべて架空のものです。',
  },
  en: {
    logout: 'Sign out',
    tagline: 'Regional healthcare network',
    footer: 'This is a demo. Every patient shown here is fictional.',
  },
} as const;

/** The portal's page frame: header (with 「ログアウト」 for whoever is logged in), main, footer. */
export function layout(lang: PageLang, title: string, body: string, user?: PortalUser): string {
  const t = LAYOUT_TEXT[lang];
  const logout =
    user === undefined
      ? ''
      : `<form method="post" action="/logout"><button type="submit" class="secondary">${t.logout}</button></form>`;
  return `<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} | ${PORTAL_TITLE[lang]}</title>
<link rel="stylesheet" href="${STYLESHEET_PATH}">
<link rel="icon" href="${FAVICON_PATH}" type="image/svg+xml">
</head>
<body>
<header class="site-header">
<h1 class="site-title">${PORTAL_TITLE[lang]}<small>${t.tagline}</small></h1>
${logout}
</header>
<main>
${body}
</main>
<footer class="site-footer">${t.footer}</footer>
</body>
</html>
`;
}

const LOGIN_TEXT = {
  ja: {
    title: 'ログイン',
    password: 'パスワード',
    demoAccount: (id: string, pw: string) => `デモ用アカウント: ID ${id} ／ パスワード ${pw}`,
    cardHolders: '医師資格証（HPKIカード）をお持ちの方',
    cardHint:
      'HPKI Login 拡張機能を入れたブラウザでは、上のフォームのすぐ下に「HPKIログイン」ボタンが表示されます。カードをリーダーに置いてボタンを押し、PINを入力してください。',
    ssoDivider: '地域の他のサービスと共通のログイン',
    ssoButton: '医療認証基盤でログイン',
    ssoHint:
      '医療認証基盤（デモ）にHPKIカードで一度ログインすると、医師資格証ポータル（デモ）など他のサービスにもPINなしで入れます。',
  },
  en: {
    title: 'Sign in',
    password: 'Password',
    demoAccount: (id: string, pw: string) => `Demo account: ID ${id} / password ${pw}`,
    cardHolders: 'With an HPKI card (医師資格証)',
    cardHint:
      'In a browser with the HPKI Login extension, an HPKI login button appears right below the form above. Put your card in the reader, press the button and enter your PIN.',
    ssoDivider: 'One sign-in for the region’s services',
    ssoButton: 'Sign in with the medical sign-on',
    ssoHint:
      'Once signed in to the medical sign-on (demo) with your HPKI card, the other services, such as the HPKI card portal (demo), need no PIN.',
  },
} as const;

export interface LoginPageOptions {
  lang: PageLang;
  error?: Bilingual;
  accountId?: string;
  sso?: boolean;
}

/**
 * The login page. The extension puts its 「HPKIログイン」 button right after `#password-login`
 * (the descriptor's `button`), so that element is the whole password form: whatever the extension
 * inserts lands outside the form and cannot submit it.
 */
export function loginPage(options: LoginPageOptions): string {
  const { lang } = options;
  const t = LOGIN_TEXT[lang];
  const sso =
    options.sso === true
      ? `<p class="divider">${t.ssoDivider}</p>
<p class="sso-login"><a class="sso" href="/sso/login" data-demo="sso-login">${t.ssoButton}</a></p>
<p class="hint">${t.ssoHint}</p>`
      : '';
  const error =
    options.error === undefined ? '' : `<p class="error" role="alert">${escapeHtml(options.error[lang])}</p>`;
  const account = t.demoAccount(`<code>${DEMO_ACCOUNT.id}</code>`, `<code>${DEMO_ACCOUNT.password}</code>`);
  return layout(
    lang,
    t.title,
    `<div class="card login-card">
<h2>${t.title}</h2>
${error}
<form id="password-login" method="post" action="/login">
<label for="account-id">ID</label>
<input type="text" id="account-id" name="id" autocomplete="username" required value="${escapeHtml(options.accountId ?? '')}">
<label for="account-password">${t.password}</label>
<input type="password" id="account-password" name="password" autocomplete="current-password" required>
<p class="demo-account">${account}</p>
<button type="submit">${t.title}</button>
</form>
<p class="divider">${t.cardHolders}</p>
<p class="hint">${t.cardHint}</p>
${sso}
</div>`,
  );
}

/** A date as the page's language writes it, in Japan's time zone. */
export function formatDate(lang: PageLang, date: Date): string {
  return new Intl.DateTimeFormat(lang === 'ja' ? 'ja-JP' : 'en-GB', {
    timeZone: 'Asia/Tokyo',
    year: 'numeric',
    month: 'long',
    day: 'numeric',
  }).format(date);
}

const PROFILE_TEXT = {
  ja: {
    role: '資格',
    method: 'ログイン方法',
    viaSso: '医療認証基盤（HPKIカード）',
    viaCard: 'HPKIカード（医師資格証）',
    viaPassword: 'ID・パスワード',
    notAfter: '証明書の有効期限',
    holderId: '資格者ID',
    account: 'アカウント',
  },
  en: {
    role: 'Qualification',
    method: 'Signed in with',
    viaSso: 'The medical sign-on (HPKI card)',
    viaCard: 'HPKI card',
    viaPassword: 'ID and password',
    notAfter: 'Certificate valid until',
    holderId: 'Holder ID',
    account: 'Account',
  },
} as const;

function profileRows(user: PortalUser, lang: PageLang): [string, string][] {
  const t = PROFILE_TEXT[lang];
  if (user.method === 'sso') {
    return [
      [t.role, roleLabel(claim(user.sso, 'hpki_role') ?? '—', lang)],
      [t.method, t.viaSso],
      [t.notAfter, formatDate(lang, new Date(claim(user.sso, 'hpki_not_after') ?? 0))],
      [t.holderId, claim(user.sso, 'hpki_holder_id') ?? '—'],
    ];
  }
  if (user.method === 'hpki') {
    return [
      [t.role, roleLabel(user.login.hcRole, lang)],
      [t.method, t.viaCard],
      [t.notAfter, formatDate(lang, new Date(user.login.notAfter))],
      [t.holderId, user.login.holder.id],
    ];
  }
  return [
    [t.role, '—'],
    [t.method, t.viaPassword],
    [t.account, user.account],
  ];
}

function profile(user: PortalUser, lang: PageLang): string {
  const rows = profileRows(user, lang);
  return `<dl class="profile">${rows.map(([k, v]) => `<dt>${k}</dt><dd>${escapeHtml(v)}</dd>`).join('')}</dl>`;
}

const TABLE_TEXT = {
  ja: {
    caption: '共有されている患者（架空のデータ）',
    head: ['患者ID', '氏名', '年齢', '性別', '最終更新', '医療機関', '内容'],
    age: (age: number) => `${age}歳`,
  },
  en: {
    caption: 'Shared patients (fictional data)',
    head: ['Patient ID', 'Name', 'Age', 'Sex', 'Last update', 'Facility', 'Record'],
    age: (age: number) => String(age),
  },
} as const;

function patientRow(p: DemoPatient, lang: PageLang): string {
  const t = TABLE_TEXT[lang];
  const name =
    lang === 'ja' ? `${escapeHtml(p.name)}<span class="kana">${escapeHtml(p.kana)}</span>` : escapeHtml(p.en.name);
  const sex = lang === 'ja' ? p.sex : p.sex === '女' ? 'F' : 'M';
  const { facility, note } = lang === 'ja' ? p : p.en;
  return `<tr><td>${p.id}</td><td>${name}</td><td>${t.age(p.age)}</td><td>${sex}</td><td>${p.lastVisit}</td><td>${escapeHtml(facility)}</td><td>${escapeHtml(note)}</td></tr>`;
}

function patientTable(lang: PageLang): string {
  const t = TABLE_TEXT[lang];
  return `<table>
<caption>${t.caption}</caption>
<thead><tr>${t.head.map((h) => `<th>${h}</th>`).join('')}</tr></thead>
<tbody>
${DEMO_PATIENTS.map((p) => patientRow(p, lang)).join('\n')}
</tbody>
</table>`;
}

const DOCUMENT_LINKS = {
  ja: { heading: '文書と電子署名', sign: '紹介状に署名', verify: '署名を検証' },
  en: { heading: 'Documents and e-signatures', sign: 'Sign a referral letter', verify: 'Verify a signature' },
} as const;

function documentLinks(lang: PageLang): string {
  const t = DOCUMENT_LINKS[lang];
  return `<section class="card">
<h2>${t.heading}</h2>
<ul class="links">
<li><a href="/referral" data-demo="referral-link">${t.sign}</a></li>
<li><a href="/verify" data-demo="verify-link">${t.verify}</a></li>
</ul>
</section>
`;
}

export function portalPage(user: PortalUser, lang: PageLang, options: { documents?: boolean } = {}): string {
  return layout(
    lang,
    lang === 'ja' ? 'ポータル' : 'Portal',
    `<section class="card">
<p class="greeting">${greeting(escapeHtml(displayName(user, lang)), user.method !== 'password', lang)}</p>
${profile(user, lang)}
</section>
${options.documents === true ? documentLinks(lang) : ''}<section class="card">
${patientTable(lang)}
</section>`,
    user,
  );
}

const LEAVING_TEXT = {
  ja: { title: 'ログアウト', going: '医療認証基盤からもログアウトしています…', link: '進まないときはこちら' },
  en: { title: 'Sign out', going: 'Signing out of the medical sign-on too…', link: 'Continue here if nothing happens' },
} as const;

/**
 * After the service's own logout: on to the provider's end-session endpoint. A page of its own (a
 * meta refresh, plus a link) because the logout form's redirects stay under `form-action 'self'`.
 */
export function leavingPage(endSessionUrl: string, lang: PageLang): string {
  const url = escapeHtml(endSessionUrl);
  const t = LEAVING_TEXT[lang];
  return `<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="0;url=${url}">
<title>${t.title}</title>
<link rel="stylesheet" href="${STYLESHEET_PATH}">
</head>
<body>
<main><div class="card"><p>${t.going}</p><p><a href="${url}">${t.link}</a></p></div></main>
</body>
</html>
`;
}

/** The messages both demo services answer with. */
export const DEMO_MESSAGES = {
  crossSite: {
    title: { ja: '送信できません', en: 'Not accepted' },
    message: { ja: '別のサイトからの送信は受け付けていません。', en: 'Forms sent from another site are not accepted.' },
  },
  notFound: {
    title: { ja: 'ページが見つかりません', en: 'Page not found' },
    message: { ja: 'お探しのページは見つかりませんでした。', en: 'The page you asked for does not exist.' },
  },
} as const satisfies Record<string, { title: Bilingual; message: Bilingual }>;

/** A page that only says something: not found, refused. */
export function messagePage(lang: PageLang, title: Bilingual, message: Bilingual): string {
  const home = lang === 'ja' ? 'ログイン画面へ' : 'To the sign-in page';
  return layout(
    lang,
    title[lang],
    `<div class="card"><h2>${escapeHtml(title[lang])}</h2><p>${escapeHtml(message[lang])}</p><p><a href="/">${home}</a></p></div>`,
  );
}
