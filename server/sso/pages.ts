import { createHash } from 'node:crypto';
import { escapeHtml } from '../http/index.js';

/**
 * The provider's own pages: the HPKI login page of an interaction, errors, logout. Japanese first,
 * English below, no script of their own (the extension's content script adds the button), except the
 * one-line auto-submit of the logout form, allowed by its hash.
 */

export const SSO_STYLESHEET_PATH = '/static/sso.css';
/** Where the descriptor puts the extension's button (PROTOCOL.md §1.1 `button`). */
export const LOGIN_SLOT_ID = 'hpki-sso-login';

function layout(providerName: string, title: string, body: string): string {
  return `<!doctype html>
<html lang="ja">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} | ${escapeHtml(providerName)}</title>
<link rel="stylesheet" href="${SSO_STYLESHEET_PATH}">
</head>
<body>
<header class="sso-header"><h1>${escapeHtml(providerName)}</h1><p lang="en">HPKI single sign-on</p></header>
<main>
${body}
</main>
</body>
</html>
`;
}

export interface LoginPageFacts {
  providerName: string;
  /** The client's `client_name`, else its `client_id`. */
  clientName: string;
  abortPath: string;
  /** Set when the card login must be repeated (prompt=login, max_age). */
  again: boolean;
}

export function loginPage(facts: LoginPageFacts): string {
  const client = escapeHtml(facts.clientName);
  const again = facts.again
    ? `<p class="note">このサービスは、改めてカードでのログインを求めています。<span lang="en">This service asks for a fresh card login.</span></p>`
    : '';
  return layout(
    facts.providerName,
    'ログイン',
    `<section class="card">
<p class="target-label">ログイン先 <span lang="en">Signing in to</span></p>
<h2 class="target" data-sso="client">${client}</h2>
${again}
<p>医師資格証（HPKIカード）をリーダーに置き、下の「HPKIログイン」ボタンを押してPINを入力してください。一度ログインすると、この認証基盤を使う他のサービスにもPINなしで入れます。</p>
<p lang="en">Put your HPKI card (医師資格証) in the reader, press the HPKI login button below and enter your PIN. Once signed in, the other services of this sign-on need no PIN.</p>
<div id="${LOGIN_SLOT_ID}" class="login-slot"></div>
<p class="hint">ボタンが表示されないときは、HPKI Login 拡張機能が入っているか、このサイトで有効になっているかを確かめてください。<span lang="en">No button? Check that the HPKI Login extension is installed and enabled for this site.</span></p>
<p class="abort"><a href="${escapeHtml(facts.abortPath)}">ログインをやめて ${client} に戻る <span lang="en">Cancel and return to ${client}</span></a></p>
</section>`,
  );
}

export function messagePage(providerName: string, title: string, message: string, english: string): string {
  return layout(
    providerName,
    title,
    `<section class="card"><h2>${escapeHtml(title)}</h2><p>${escapeHtml(message)}</p><p lang="en">${escapeHtml(english)}</p></section>`,
  );
}

/** After a logout (or a logout of a browser that had no session). */
export function signedOutPage(providerName: string): string {
  return messagePage(
    providerName,
    'ログアウトしました',
    'すべてのサービスからログアウトしました。',
    'You are signed out of every service.',
  );
}

/** The error page of the authorization endpoint and others (never a redirect to an unchecked URI). */
export function errorPage(providerName: string, error: string, description: string | undefined): string {
  return layout(
    providerName,
    'エラー',
    `<section class="card"><h2>ログインを続けられません <span lang="en">The sign-in cannot continue</span></h2>
<p>リクエストが正しくないか、期限が切れています。ログインしようとしたサービスに戻って、もう一度お試しください。</p>
<p lang="en">The request is invalid or has expired. Go back to the service and try again.</p>
<dl class="error"><dt>error</dt><dd data-sso="error">${escapeHtml(error)}</dd>${
      description === undefined ? '' : `<dt>description</dt><dd>${escapeHtml(description)}</dd>`
    }</dl></section>`,
  );
}

export const LOGOUT_SCRIPT = "document.getElementById('op.logoutForm').submit();";
export const LOGOUT_SCRIPT_HASH = `'sha256-${createHash('sha256').update(LOGOUT_SCRIPT).digest('base64')}'`;

/**
 * RP-initiated logout: `form` is oidc-provider's form (with its xsrf secret). With `auto`, the form
 * carries `logout=yes` and submits itself (a valid id_token_hint of this session's holder: no
 * question, PROTOCOL.md §10); otherwise the doctor is asked.
 */
export function logoutPage(providerName: string, form: string, auto: boolean): string {
  const withLogout = form.replace('</form>', '<input type="hidden" name="logout" value="yes"></form>');
  if (auto) {
    return layout(
      providerName,
      'ログアウト',
      // The script follows the form it submits.
      `<section class="card"><h2>ログアウトしています… <span lang="en">Signing out…</span></h2>${withLogout}
<noscript><button type="submit" form="op.logoutForm">ログアウト <span lang="en">Sign out</span></button></noscript></section>
<script>${LOGOUT_SCRIPT}</script>`,
    );
  }
  return layout(
    providerName,
    'ログアウト',
    `<section class="card"><h2>ログアウトしますか？ <span lang="en">Sign out?</span></h2>
<p>すべてのサービスからログアウトします。<span lang="en">You will be signed out of every service.</span></p>${withLogout}
<button type="submit" form="op.logoutForm">ログアウト <span lang="en">Sign out</span></button></section>`,
  );
}

export const SSO_CSS = `
:root { --ink:#1f2a37; --muted:#5b6776; --line:#d9e1ea; --brand:#23507a; --accent:#f2a33a; --danger:#b42318;
  font-family:"Hiragino Kaku Gothic ProN","Hiragino Sans","Noto Sans JP","Yu Gothic",Meiryo,sans-serif;
  color:var(--ink); background:#f3f6f9; line-height:1.6; }
* { box-sizing:border-box; }
body { margin:0; }
.sso-header { background:var(--brand); color:#fff; padding:0.8rem 1.5rem; border-bottom:4px solid var(--accent);
  display:flex; align-items:baseline; gap:1rem; }
.sso-header h1 { margin:0; font-size:1.25rem; letter-spacing:0.05em; }
.sso-header p { margin:0; opacity:0.85; font-size:0.85rem; }
main { max-width:560px; margin:2rem auto; padding:0 1.25rem; }
.card { background:#fff; border:1px solid var(--line); border-radius:8px; padding:1.75rem; box-shadow:0 1px 3px rgba(15,35,55,0.06); }
.target-label { margin:0; color:var(--muted); font-size:0.9rem; }
.target { margin:0.2rem 0 1rem; font-size:1.45rem; }
[lang="en"] { color:var(--muted); }
p[lang="en"] { font-size:0.92rem; }
.login-slot { margin:1.5rem 0; min-height:2.5rem; display:flex; justify-content:center; }
.hint, .abort { font-size:0.85rem; color:var(--muted); }
.note { background:#fff8ec; border:1px solid #f4d29c; border-radius:6px; padding:0.6rem 0.8rem; }
.error dt { color:var(--muted); } .error dd { margin:0 0 0.5rem; font-family:monospace; }
button { font:inherit; cursor:pointer; border-radius:6px; padding:0.6rem 1.2rem; border:1px solid var(--brand); background:var(--brand); color:#fff; }
a { color:var(--brand); }
`;
