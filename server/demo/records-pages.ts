import { NAME_JA_CLAIM } from '../../protocol/sso.js';
import { escapeHtml } from '../http/index.js';
import { FAVICON_PATH, STYLESHEET_PATH } from './assets.js';
import type { SsoUser } from './oidc-rp.js';
import { claim, roleLabel } from './portal-user.js';

/** The pages of 医師資格証ポータル（デモ）, the demo's second service: it knows no login but SSO. */

export const RECORDS_NAME = '医師資格証ポータル（デモ）';

/** Fictional training records (日医生涯教育 style): every entry is made up. */
const TRAINING: readonly { date: string; title: string; code: string; units: number }[] = [
  { date: '2026-11-20', title: '地域包括ケアと在宅医療（講習会）', code: 'CC 12', units: 1.5 },
  { date: '2026-10-08', title: '感染対策の最新動向（e-ラーニング）', code: 'CC 08', units: 1.0 },
  { date: '2026-09-14', title: '高齢者の多剤併用と処方見直し', code: 'CC 73', units: 2.0 },
  { date: '2026-07-02', title: '医療安全：インシデントの振り返り', code: 'CC 07', units: 1.0 },
];

function layout(title: string, body: string, loggedIn: boolean): string {
  const logout = loggedIn
    ? `<form method="post" action="/logout"><button type="submit" class="secondary" data-demo="logout">ログアウト</button></form>`
    : '';
  return `<!doctype html>
<html lang="ja">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} | ${RECORDS_NAME}</title>
<link rel="stylesheet" href="${STYLESHEET_PATH}">
<link rel="icon" href="${FAVICON_PATH}" type="image/svg+xml">
</head>
<body class="records">
<header class="site-header">
<h1 class="site-title">${RECORDS_NAME}<small>研修・生涯教育の記録</small></h1>
${logout}
</header>
<main>
${body}
</main>
<footer class="site-footer">これはデモです。表示される記録はすべて架空のものです。</footer>
</body>
</html>
`;
}

export function recordsLoginPage(error?: string): string {
  const alert = error === undefined ? '' : `<p class="error" role="alert">${escapeHtml(error)}</p>`;
  return layout(
    'ログイン',
    `<div class="card login-card">
<h2>ログイン</h2>
${alert}
<p>このサービスには、地域の医療認証基盤（HPKIカード）でログインします。</p>
<p class="sso-login"><a class="sso" href="/sso/login" data-demo="sso-login">医療認証基盤でログイン</a></p>
<p class="hint">すでに はれやか医療ネット などに医療認証基盤でログインしていれば、PINの入力なしで入れます。</p>
</div>`,
    false,
  );
}

const DATE_FORMAT = new Intl.DateTimeFormat('ja-JP', {
  timeZone: 'Asia/Tokyo',
  year: 'numeric',
  month: 'long',
  day: 'numeric',
});

export function recordsPage(user: SsoUser): string {
  const name = (claim(user, NAME_JA_CLAIM) ?? claim(user, 'name') ?? '').replace(/\u3000/g, ' ');
  const rows = TRAINING.map(
    (t) => `<tr><td>${t.date}</td><td>${escapeHtml(t.title)}</td><td>${t.code}</td><td>${t.units.toFixed(1)}</td></tr>`,
  ).join('\n');
  const total = TRAINING.reduce((sum, t) => sum + t.units, 0);
  const notAfter = claim(user, 'hpki_not_after');
  return layout(
    '研修記録',
    `<section class="card">
<p class="greeting">ようこそ ${escapeHtml(name)} 先生</p>
<dl class="profile">
<dt>資格</dt><dd>${escapeHtml(roleLabel(claim(user, 'hpki_role') ?? '—'))}</dd>
<dt>ログイン方法</dt><dd>医療認証基盤（HPKIカード）</dd>
<dt>資格者ID</dt><dd>${escapeHtml(claim(user, 'hpki_holder_id') ?? '—')}</dd>
<dt>医師資格証の有効期限</dt><dd>${notAfter === undefined ? '—' : DATE_FORMAT.format(new Date(notAfter))}</dd>
</dl>
</section>
<section class="card">
<table>
<caption>今年度の研修記録（架空のデータ）— 合計 ${total.toFixed(1)} 単位</caption>
<thead><tr><th>受講日</th><th>研修</th><th>カリキュラムコード</th><th>単位</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
</section>`,
    true,
  );
}
