import { createHash } from 'node:crypto';
import { type Bilingual, escapeHtml, type PageLang } from '../http/index.js';

/**
 * The provider's own pages: the HPKI login page of an interaction, errors, logout. In one language,
 * Japanese unless the browser prefers English (Accept-Language), no script of their own (the extension's content script adds the button), except the
 * one-line auto-submit of the logout form, allowed by its hash.
 */

export const SSO_STYLESHEET_PATH = '/static/sso.css';
/** Where the descriptor puts the extension's button (PROTOCOL.md §1.1 `button`). */
export const LOGIN_SLOT_ID = 'hpki-sso-login';

const SUBTITLE: Bilingual = { ja: 'HPKI シングルサインオン', en: 'HPKI single sign-on' };

function layout(providerName: string, lang: PageLang, title: string, body: string): string {
  return `<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} | ${escapeHtml(providerName)}</title>
<link rel="stylesheet" href="${SSO_STYLESHEET_PATH}">
</head>
<body>
<header class="sso-header"><h1>${escapeHtml(providerName)}</h1><p class="subtitle">${SUBTITLE[lang]}</p></header>
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
  /** The page's language (Accept-Language; Japanese by default). */
  lang: PageLang;
}

const LOGIN_TEXT = {
  ja: {
    title: 'ログイン',
    target: 'ログイン先',
    again: 'このサービスは、改めてカードでのログインを求めています。',
    how: '医師資格証（HPKIカード）をリーダーに置き、下の「HPKIログイン」ボタンを押してPINを入力してください。一度ログインすると、この認証基盤を使う他のサービスにもPINなしで入れます。',
    hint: 'ボタンが表示されないときは、HPKI Login 拡張機能が入っているか、このサイトで有効になっているかを確かめてください。',
    abort: (client: string) => `ログインをやめて ${client} に戻る`,
  },
  en: {
    title: 'Sign in',
    target: 'Signing in to',
    again: 'This service asks for a fresh card login.',
    how: 'Put your HPKI card (医師資格証) in the reader, press the HPKI login button below and enter your PIN. Once signed in, the other services of this sign-on need no PIN.',
    hint: 'No button? Check that the HPKI Login extension is installed and enabled for this site.',
    abort: (client: string) => `Cancel and return to ${client}`,
  },
} as const;

export function loginPage(facts: LoginPageFacts): string {
  const t = LOGIN_TEXT[facts.lang];
  const client = escapeHtml(facts.clientName);
  const again = facts.again ? `<p class="note">${t.again}</p>` : '';
  return layout(
    facts.providerName,
    facts.lang,
    t.title,
    `<section class="card">
<p class="target-label">${t.target}</p>
<h2 class="target" data-sso="client">${client}</h2>
${again}
<p>${t.how}</p>
<div id="${LOGIN_SLOT_ID}" class="login-slot"></div>
<p class="hint">${t.hint}</p>
<p class="abort"><a href="${escapeHtml(facts.abortPath)}">${t.abort(client)}</a></p>
</section>`,
  );
}

export function messagePage(providerName: string, lang: PageLang, title: Bilingual, message: Bilingual): string {
  return layout(
    providerName,
    lang,
    title[lang],
    `<section class="card"><h2>${escapeHtml(title[lang])}</h2><p>${escapeHtml(message[lang])}</p></section>`,
  );
}

const ERROR_TEXT = {
  ja: {
    title: 'エラー',
    heading: 'ログインを続けられません',
    body: 'リクエストが正しくないか、期限が切れています。ログインしようとしたサービスに戻って、もう一度お試しください。',
  },
  en: {
    title: 'Error',
    heading: 'The sign-in cannot continue',
    body: 'The request is invalid or has expired. Go back to the service and try again.',
  },
} as const;

/** After a logout (or a logout of a browser that had no session). */
export function signedOutPage(providerName: string, lang: PageLang): string {
  return messagePage(
    providerName,
    lang,
    { ja: 'ログアウトしました', en: 'Signed out' },
    { ja: 'すべてのサービスからログアウトしました。', en: 'You are signed out of every service.' },
  );
}

/** The error page of the authorization endpoint and others (never a redirect to an unchecked URI). */
export function errorPage(
  providerName: string,
  lang: PageLang,
  error: string,
  description: string | undefined,
): string {
  const t = ERROR_TEXT[lang];
  return layout(
    providerName,
    lang,
    t.title,
    `<section class="card"><h2>${t.heading}</h2>
<p>${t.body}</p>
<dl class="error"><dt>error</dt><dd data-sso="error">${escapeHtml(error)}</dd>${
      description === undefined ? '' : `<dt>description</dt><dd>${escapeHtml(description)}</dd>`
    }</dl></section>`,
  );
}

export const LOGOUT_SCRIPT = "document.getElementById('op.logoutForm').submit();";
export const LOGOUT_SCRIPT_HASH = `'sha256-${createHash('sha256').update(LOGOUT_SCRIPT).digest('base64')}'`;

const LOGOUT_TEXT = {
  ja: {
    title: 'ログアウト',
    going: 'ログアウトしています…',
    ask: 'ログアウトしますか？',
    all: 'すべてのサービスからログアウトします。',
    button: 'ログアウト',
  },
  en: {
    title: 'Sign out',
    going: 'Signing out…',
    ask: 'Sign out?',
    all: 'You will be signed out of every service.',
    button: 'Sign out',
  },
} as const;

/**
 * RP-initiated logout: `form` is oidc-provider's form (with its xsrf secret). With `auto`, the form
 * carries `logout=yes` and submits itself (a valid id_token_hint of this session's holder: no
 * question, PROTOCOL.md §10); otherwise the doctor is asked.
 */
export function logoutPage(providerName: string, lang: PageLang, form: string, auto: boolean): string {
  const t = LOGOUT_TEXT[lang];
  const withLogout = form.replace('</form>', '<input type="hidden" name="logout" value="yes"></form>');
  if (auto) {
    return layout(
      providerName,
      lang,
      t.title,
      // The script follows the form it submits.
      `<section class="card"><h2>${t.going}</h2>${withLogout}
<noscript><button type="submit" form="op.logoutForm">${t.button}</button></noscript></section>
<script>${LOGOUT_SCRIPT}</script>`,
    );
  }
  return layout(
    providerName,
    lang,
    t.title,
    `<section class="card"><h2>${t.ask}</h2>
<p>${t.all}</p>${withLogout}
<button type="submit" form="op.logoutForm">${t.button}</button></section>`,
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
.sso-header .subtitle { margin:0; color:#fff; font-size:0.9rem; }
main { max-width:560px; margin:2rem auto; padding:0 1.25rem; }
.card { background:#fff; border:1px solid var(--line); border-radius:8px; padding:1.75rem; box-shadow:0 1px 3px rgba(15,35,55,0.06); }
.target-label { margin:0; color:var(--muted); font-size:0.9rem; }
.target { margin:0.2rem 0 1rem; font-size:1.45rem; }
.login-slot { margin:1.5rem 0; min-height:2.5rem; display:flex; justify-content:center; }
.hint, .abort { font-size:0.85rem; color:var(--muted); }
.note { background:#fff8ec; border:1px solid #f4d29c; border-radius:6px; padding:0.6rem 0.8rem; }
.error dt { color:var(--muted); } .error dd { margin:0 0 0.5rem; font-family:monospace; }
button { font:inherit; cursor:pointer; border-radius:6px; padding:0.6rem 1.2rem; border:1px solid var(--brand); background:var(--brand); color:#fff; }
a { color:var(--brand); }
`;
