/** The portal's static files, served from memory: one stylesheet (the CSP bars inline styles) and an icon. */
export const STYLESHEET_PATH = '/static/portal.css';
export const FAVICON_PATH = '/static/favicon.svg';

export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#0f6e8c"/><path d="M13 6h6v7h7v6h-7v7h-6v-7H6v-6h7z" fill="#fff"/></svg>`;

export const PORTAL_CSS = `
:root {
  --ink: #1f2a37;
  --muted: #5b6776;
  --line: #d9e1ea;
  --paper: #ffffff;
  --ground: #f3f6f9;
  --brand: #0f6e8c;
  --brand-dark: #0b5369;
  --accent: #f2a33a;
  --danger: #b42318;
  font-family: "Hiragino Kaku Gothic ProN", "Hiragino Sans", "Noto Sans JP", "Yu Gothic", Meiryo, sans-serif;
  color: var(--ink);
  background: var(--ground);
  line-height: 1.6;
}
* { box-sizing: border-box; }
body { margin: 0; min-height: 100vh; display: flex; flex-direction: column; }
a { color: var(--brand); }
.site-header {
  background: var(--brand);
  color: #fff;
  padding: 0.75rem 1.5rem;
  display: flex;
  align-items: center;
  justify-content: space-between;
  gap: 1rem;
  border-bottom: 4px solid var(--accent);
}
.site-title { margin: 0; font-size: 1.25rem; font-weight: 700; letter-spacing: 0.05em; }
.site-title small { font-weight: 400; font-size: 0.8rem; margin-left: 0.5rem; opacity: 0.85; }
main { flex: 1; width: 100%; max-width: 960px; margin: 0 auto; padding: 2rem 1.5rem; }
.card {
  background: var(--paper);
  border: 1px solid var(--line);
  border-radius: 8px;
  padding: 1.75rem;
  box-shadow: 0 1px 3px rgba(15, 35, 55, 0.06);
}
.login-card { max-width: 420px; margin: 1rem auto; }
.login-card h2 { margin-top: 0; font-size: 1.2rem; }
label { display: block; font-weight: 600; margin: 1rem 0 0.35rem; }
input[type="text"], input[type="password"] {
  width: 100%;
  padding: 0.6rem 0.7rem;
  border: 1px solid #b8c4d1;
  border-radius: 6px;
  font-size: 1rem;
}
input:focus-visible, button:focus-visible { outline: 3px solid rgba(15, 110, 140, 0.35); outline-offset: 1px; }
button {
  font: inherit;
  cursor: pointer;
  border-radius: 6px;
  padding: 0.6rem 1.2rem;
  border: 1px solid var(--brand);
  background: var(--brand);
  color: #fff;
  font-weight: 600;
}
button:hover { background: var(--brand-dark); }
button.secondary { background: transparent; color: #fff; border-color: rgba(255, 255, 255, 0.7); }
button.secondary:hover { background: rgba(255, 255, 255, 0.12); }
#password-login { margin-top: 1.25rem; }
#password-login button { width: 100%; }
.hint { color: var(--muted); font-size: 0.9rem; }
.demo-account {
  background: #fff8ec;
  border: 1px solid #f4d29c;
  border-radius: 6px;
  padding: 0.6rem 0.8rem;
  font-size: 0.9rem;
}
.demo-account code { font-size: 0.95rem; white-space: nowrap; }
.error {
  color: var(--danger);
  background: #fef3f2;
  border: 1px solid #fecdca;
  border-radius: 6px;
  padding: 0.6rem 0.8rem;
}
.divider { text-align: center; color: var(--muted); margin: 1.25rem 0 0.75rem; font-size: 0.9rem; }
.greeting { font-size: 1.4rem; margin: 0 0 1rem; }
.profile { display: grid; grid-template-columns: max-content 1fr; gap: 0.35rem 1.25rem; margin: 0; }
.profile dt { color: var(--muted); }
.profile dd { margin: 0; font-weight: 600; }
section + section { margin-top: 1.5rem; }
table { width: 100%; border-collapse: collapse; font-size: 0.95rem; }
caption { text-align: left; color: var(--muted); padding-bottom: 0.5rem; }
th, td { text-align: left; padding: 0.55rem 0.6rem; border-bottom: 1px solid var(--line); }
th { background: #eef3f7; font-weight: 600; }
tbody tr:hover { background: #f7fafc; }
.kana { display: block; color: var(--muted); font-size: 0.8rem; }
.sso-login a.sso { display: block; text-align: center; text-decoration: none; border-radius: 6px; padding: 0.6rem 1.2rem;
  background: #23507a; color: #fff; font-weight: 600; }
.sso-login a.sso:hover { background: #1a3d5e; }
body.records .site-header { background: #5a3e8c; }
.links { margin: 0; padding-left: 1.25rem; }
.links li { margin: 0.25rem 0; }
.letter { border: 1px solid var(--line); border-radius: 6px; padding: 1rem 1.5rem; margin: 1rem 0; background: #fffdf8; }
.letter h3 { text-align: center; letter-spacing: 0.3em; margin: 0 0 0.75rem; }
.letter p { margin: 0.2rem 0; }
.letter .letter-date { text-align: right; }
.sign-actions { display: flex; gap: 0.75rem; margin: 1rem 0 0.5rem; }
button:disabled { opacity: 0.6; cursor: progress; }
a.button { display: inline-block; text-decoration: none; border-radius: 6px; padding: 0.6rem 1.2rem; background: var(--brand);
  color: #fff; font-weight: 600; }
a.button:hover { background: var(--brand-dark); }
input[type="file"] { display: block; margin-bottom: 0.5rem; }
#verify-form button { margin-top: 0.5rem; }
.verdict { font-size: 1.2rem; font-weight: 700; padding: 0.6rem 0.8rem; border-radius: 6px; }
.verdict.ok { color: #05603a; background: #ecfdf3; border: 1px solid #abefc6; }
.verdict.ng { color: var(--danger); background: #fef3f2; border: 1px solid #fecdca; }
.signature { border-top: 1px solid var(--line); padding-top: 0.75rem; margin-top: 0.75rem; }
.signature h3 { font-size: 1rem; margin: 0 0 0.5rem; }
.signature dd { word-break: break-all; }
.site-footer { text-align: center; color: var(--muted); font-size: 0.8rem; padding: 1.5rem; }
`;
