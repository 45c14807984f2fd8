import { escapeHtml } from '../http/index.js';
import { FAVICON_PATH, STYLESHEET_PATH } from './assets.js';
import { DEMO_PATIENTS } from './patients.js';
import { claim, displayName, honorific, type PortalUser, roleLabel } from './portal-user.js';

export const PORTAL_NAME = 'はれやか医療ネット（デモ）';
export const DEMO_ACCOUNT = { id: 'demo', password: 'demo-password', displayName: 'デモ 利用者' } as const;

function layout(title: string, body: string, user?: PortalUser): string {
  const logout =
    user === undefined
      ? ''
      : `<form method="post" action="/logout"><button type="submit" class="secondary">ログアウト</button></form>`;
  return `<!doctype html>
<html lang="ja">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} | ${PORTAL_NAME}</title>
<link rel="stylesheet" href="${STYLESHEET_PATH}">
<link rel="icon" href="${FAVICON_PATH}" type="image/svg+xml">
</head>
<body>
<header class="site-header">
<h1 class="site-title">${PORTAL_NAME}<small>地域医療連携ネットワーク</small></h1>
${logout}
</header>
<main>
${body}
</main>
<footer class="site-footer">これはデモです。表示される患者情報はすべて架空のものです。</footer>
</body>
</html>
`;
}

/**
 * The login page. The extension puts its 「HPKIログイン」 button right after `#password-login`
 * (the descriptor's `button`), so that element is the whole password form: whatever the extension
 * inserts lands outside the form and cannot submit it.
 */
export function loginPage(options: { error?: string; accountId?: string; sso?: boolean } = {}): string {
  const sso =
    options.sso === true
      ? `<p class="divider">地域の他のサービスと共通のログイン</p>
<p class="sso-login"><a class="sso" href="/sso/login" data-demo="sso-login">医療認証基盤でログイン</a></p>
<p class="hint">医療認証基盤（デモ）にHPKIカードで一度ログインすると、医師資格証ポータル（デモ）など他のサービスにもPINなしで入れます。</p>`
      : '';
  const error = options.error === undefined ? '' : `<p class="error" role="alert">${escapeHtml(options.error)}</p>`;
  return layout(
    'ログイン',
    `<div class="card login-card">
<h2>ログイン</h2>
${error}
<form id="password-login" method="post" action="/login">
<label for="account-id">ID</label>
<input type="text" id="account-id" name="id" autocomplete="username" required value="${escapeHtml(options.accountId ?? '')}">
<label for="account-password">パスワード</label>
<input type="password" id="account-password" name="password" autocomplete="current-password" required>
<p class="demo-account">デモ用アカウント: ID <code>${DEMO_ACCOUNT.id}</code> ／ パスワード <code>${DEMO_ACCOUNT.password}</code></p>
<button type="submit">ログイン</button>
</form>
<p class="divider">医師資格証（HPKIカード）をお持ちの方</p>
<p class="hint">HPKI Login 拡張機能を入れたブラウザでは、上のフォームのすぐ下に「HPKIログイン」ボタンが表示されます。カードをリーダーに置いてボタンを押し、PINを入力してください。</p>
${sso}
</div>`,
  );
}

const DATE_FORMAT = new Intl.DateTimeFormat('ja-JP', {
  timeZone: 'Asia/Tokyo',
  year: 'numeric',
  month: 'long',
  day: 'numeric',
});

function profile(user: PortalUser): string {
  const rows: [string, string][] =
    user.method === 'sso'
      ? [
          ['資格', roleLabel(claim(user.sso, 'hpki_role') ?? '—')],
          ['ログイン方法', '医療認証基盤（HPKIカード）'],
          ['証明書の有効期限', DATE_FORMAT.format(new Date(claim(user.sso, 'hpki_not_after') ?? 0))],
          ['資格者ID', claim(user.sso, 'hpki_holder_id') ?? '—'],
        ]
      : user.method === 'hpki'
        ? [
            ['資格', roleLabel(user.login.hcRole)],
            ['ログイン方法', 'HPKIカード（医師資格証）'],
            ['証明書の有効期限', DATE_FORMAT.format(new Date(user.login.notAfter))],
            ['資格者ID', user.login.holder.id],
          ]
        : [
            ['資格', '—'],
            ['ログイン方法', 'ID・パスワード'],
            ['アカウント', user.account],
          ];
  return `<dl class="profile">${rows.map(([k, v]) => `<dt>${k}</dt><dd>${escapeHtml(v)}</dd>`).join('')}</dl>`;
}

function patientTable(): string {
  const rows = DEMO_PATIENTS.map(
    (p) =>
      `<tr><td>${p.id}</td><td>${escapeHtml(p.name)}<span class="kana">${escapeHtml(p.kana)}</span></td><td>${p.age}歳</td><td>${p.sex}</td><td>${p.lastVisit}</td><td>${escapeHtml(p.facility)}</td><td>${escapeHtml(p.note)}</td></tr>`,
  ).join('\n');
  return `<table>
<caption>共有されている患者（架空のデータ）</caption>
<thead><tr><th>患者ID</th><th>氏名</th><th>年齢</th><th>性別</th><th>最終更新</th><th>医療機関</th><th>内容</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>`;
}

export function portalPage(user: PortalUser): string {
  return layout(
    'ポータル',
    `<section class="card">
<p class="greeting">ようこそ ${escapeHtml(displayName(user))} ${honorific(user)}</p>
${profile(user)}
</section>
<section class="card">
${patientTable()}
</section>`,
    user,
  );
}

/**
 * After the service's own logout: on to the provider's end-session endpoint. A page of its own (a
 * meta refresh, plus a link) because the logout form's redirects stay under `form-action 'self'`.
 */
export function leavingPage(endSessionUrl: string): string {
  const url = escapeHtml(endSessionUrl);
  return `<!doctype html>
<html lang="ja">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="0;url=${url}">
<title>ログアウト</title>
<link rel="stylesheet" href="${STYLESHEET_PATH}">
</head>
<body>
<main><div class="card"><p>医療認証基盤からもログアウトしています…</p><p><a href="${url}">進まないときはこちら</a></p></div></main>
</body>
</html>
`;
}

/** A page that only says something: not found, refused. */
export function messagePage(title: string, message: string): string {
  return layout(
    title,
    `<div class="card"><h2>${escapeHtml(title)}</h2><p>${escapeHtml(message)}</p><p><a href="/">ログイン画面へ</a></p></div>`,
  );
}
