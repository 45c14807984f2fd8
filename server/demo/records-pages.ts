import { NAME_JA_CLAIM } from '../../protocol/sso.js';
import { type Bilingual, escapeHtml, type PageLang } from '../http/index.js';
import { FAVICON_PATH, STYLESHEET_PATH } from './assets.js';
import type { SsoUser } from './oidc-rp.js';
import { formatDate } from './pages.js';
import { claim, greeting, roleLabel } from './portal-user.js';

/**
 * The pages of 医師資格証ポータル（デモ）, the demo's second service: it knows no login but SSO. Each
 * in one language, Japanese unless the browser prefers English (Accept-Language).
 */

export const RECORDS_NAME = '医師資格証ポータル（デモ）';
const RECORDS_TITLE: Bilingual = { ja: RECORDS_NAME, en: 'HPKI Card Portal (demo)' };

/** Fictional training records (日医生涯教育 style): every entry is made up. */
const TRAINING: readonly { date: string; title: Bilingual; code: string; units: number }[] = [
  {
    date: '2026-11-20',
    title: { ja: '地域包括ケアと在宅医療（講習会）', en: 'Community care and home medicine (lecture)' },
    code: 'CC 12',
    units: 1.5,
  },
  {
    date: '2026-10-08',
    title: { ja: '感染対策の最新動向（e-ラーニング）', en: 'Infection control today (e-learning)' },
    code: 'CC 08',
    units: 1.0,
  },
  {
    date: '2026-09-14',
    title: { ja: '高齢者の多剤併用と処方見直し', en: 'Polypharmacy in older patients and deprescribing' },
    code: 'CC 73',
    units: 2.0,
  },
  {
    date: '2026-07-02',
    title: { ja: '医療安全：インシデントの振り返り', en: 'Patient safety: reviewing incidents' },
    code: 'CC 07',
    units: 1.0,
  },
];

const LAYOUT_TEXT = {
  ja: {
    logout: 'ログアウト',
    tagline: '研修・生涯教育の記録',
    footer: 'これはデモです。表示される記録はすべて架空のものです。',
  },
  en: {
    logout: 'Sign out',
    tagline: 'Training and continuing education records',
    footer: 'This is a demo. Every record shown here is fictional.',
  },
} as const;

function layout(lang: PageLang, title: string, body: string, loggedIn: boolean): string {
  const t = LAYOUT_TEXT[lang];
  const logout = loggedIn
    ? `<form method="post" action="/logout"><button type="submit" class="secondary" data-demo="logout">${t.logout}</button></form>`
    : '';
  return `<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} | ${RECORDS_TITLE[lang]}</title>
<link rel="stylesheet" href="${STYLESHEET_PATH}">
<link rel="icon" href="${FAVICON_PATH}" type="image/svg+xml">
</head>
<body class="records">
<header class="site-header">
<h1 class="site-title">${RECORDS_TITLE[lang]}<small>${t.tagline}</small></h1>
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
    how: 'このサービスには、地域の医療認証基盤（HPKIカード）でログインします。',
    button: '医療認証基盤でログイン',
    hint: 'すでに はれやか医療ネット などに医療認証基盤でログインしていれば、PINの入力なしで入れます。',
  },
  en: {
    title: 'Sign in',
    how: 'This service signs you in through the region’s medical sign-on (HPKI card).',
    button: 'Sign in with the medical sign-on',
    hint: 'Already signed in through the medical sign-on, at Hareyaka Medical Net for instance? Then no PIN is needed.',
  },
} as const;

export function recordsLoginPage(lang: PageLang, error?: Bilingual): string {
  const t = LOGIN_TEXT[lang];
  const alert = error === undefined ? '' : `<p class="error" role="alert">${escapeHtml(error[lang])}</p>`;
  return layout(
    lang,
    t.title,
    `<div class="card login-card">
<h2>${t.title}</h2>
${alert}
<p>${t.how}</p>
<p class="sso-login"><a class="sso" href="/sso/login" data-demo="sso-login">${t.button}</a></p>
<p class="hint">${t.hint}</p>
</div>`,
    false,
  );
}

const RECORDS_TEXT = {
  ja: {
    title: '研修記録',
    role: '資格',
    method: 'ログイン方法',
    viaSso: '医療認証基盤（HPKIカード）',
    holderId: '資格者ID',
    notAfter: '医師資格証の有効期限',
    caption: (total: string) => `今年度の研修記録（架空のデータ）— 合計 ${total} 単位`,
    head: ['受講日', '研修', 'カリキュラムコード', '単位'],
  },
  en: {
    title: 'Training records',
    role: 'Qualification',
    method: 'Signed in with',
    viaSso: 'The medical sign-on (HPKI card)',
    holderId: 'Holder ID',
    notAfter: 'HPKI card valid until',
    caption: (total: string) => `This year’s training (fictional data): ${total} units in all`,
    head: ['Date', 'Course', 'Curriculum code', 'Units'],
  },
} as const;

/** The holder's name: on a Japanese page the Japanese name, else romaji; the other way round in English. */
function holderName(user: SsoUser, lang: PageLang): string {
  const ja = claim(user, NAME_JA_CLAIM);
  const romaji = claim(user, 'name');
  const name = lang === 'ja' ? (ja ?? romaji) : (romaji ?? ja);
  return (name ?? '').replace(/\u3000/g, ' ');
}

function trainingTable(lang: PageLang): string {
  const t = RECORDS_TEXT[lang];
  const rows = TRAINING.map(
    (r) =>
      `<tr><td>${r.date}</td><td>${escapeHtml(r.title[lang])}</td><td>${r.code}</td><td>${r.units.toFixed(1)}</td></tr>`,
  ).join('\n');
  const total = TRAINING.reduce((sum, r) => sum + r.units, 0);
  return `<table>
<caption>${t.caption(total.toFixed(1))}</caption>
<thead><tr>${t.head.map((h) => `<th>${h}</th>`).join('')}</tr></thead>
<tbody>
${rows}
</tbody>
</table>`;
}

export function recordsPage(user: SsoUser, lang: PageLang): string {
  const t = RECORDS_TEXT[lang];
  const notAfter = claim(user, 'hpki_not_after');
  return layout(
    lang,
    t.title,
    `<section class="card">
<p class="greeting">${greeting(escapeHtml(holderName(user, lang)), true, lang)}</p>
<dl class="profile">
<dt>${t.role}</dt><dd>${escapeHtml(roleLabel(claim(user, 'hpki_role') ?? '—', lang))}</dd>
<dt>${t.method}</dt><dd>${t.viaSso}</dd>
<dt>${t.holderId}</dt><dd>${escapeHtml(claim(user, 'hpki_holder_id') ?? '—')}</dd>
<dt>${t.notAfter}</dt><dd>${notAfter === undefined ? '—' : formatDate(lang, new Date(notAfter))}</dd>
</dl>
</section>
<section class="card">
${trainingTable(lang)}
</section>`,
    true,
  );
}
