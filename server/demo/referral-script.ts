import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readOnce } from '../shared/index.js';

/**
 * The referral page's script, served from memory like the stylesheet, and the page client library
 * (`npm run build` makes dist/hpki-login-client.js) that it imports. The page's CSP lets in scripts
 * of the portal's own origin only.
 */

export const REFERRAL_SCRIPT_PATH = '/static/referral.js';
export const CLIENT_LIBRARY_PATH = '/static/hpki-login-client.js';

/** The built client library: the source tree's and the built CLI's module both sit two levels below the root. */
const CLIENT_LIBRARY_FILE = fileURLToPath(new URL('../../dist/hpki-login-client.js', import.meta.url));

/** The client library's text, read once; undefined before `npm run build`. */
export const clientLibraryText: () => string | undefined = readOnce(() => readFileSync(CLIENT_LIBRARY_FILE, 'utf8'));

/**
 * Two presses, as the page API wants a user activation for each call: 「署名する」 gets the signing
 * certificate (the window's confirm) and has the server prepare the PAdES signature; 「PINを入力して
 * 署名」 asks the card to sign the server's hash with the server's label, then the server finishes
 * and verifies, and the page goes to the result.
 */
export const REFERRAL_SCRIPT = `import { getSigningCertificate, sign } from '${CLIENT_LIBRARY_PATH}';

const box = document.getElementById('referral');
const first = document.getElementById('referral-sign');
const second = document.getElementById('referral-pin');
const status = document.getElementById('referral-status');
const alert = document.getElementById('referral-error');
const lang = document.documentElement.lang === 'en' ? 'en' : 'ja';
const say = (key) => { status.textContent = box.dataset['msg' + key[0].toUpperCase() + key.slice(1)]; };
let pending;

function fail(err) {
  status.textContent = '';
  alert.hidden = false;
  const code = err && err.code ? ' (' + err.code + ')' : '';
  alert.textContent = box.dataset.msgFailed + code + (err && err.message ? ': ' + err.message : '');
  first.hidden = false;
  first.disabled = false;
  second.hidden = true;
}

async function post(path, body) {
  const res = await fetch(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = await res.json().catch(() => ({}));
  if (!res.ok) throw answer.error ?? { code: 'HTTP ' + res.status };
  return answer;
}

first.addEventListener('click', async () => {
  alert.hidden = true;
  first.disabled = true;
  say('certificate');
  try {
    const cert = await getSigningCertificate({ lang });
    const prepared = await post('/referral/prepare', { certificate: cert.certificate, intermediates: cert.intermediates });
    pending = { ...prepared, certificateSha256: cert.certificateSha256 };
    first.hidden = true;
    second.hidden = false;
    second.focus();
    say('ready');
  } catch (err) {
    fail(err);
  }
});

second.addEventListener('click', async () => {
  second.disabled = true;
  say('signing');
  try {
    const { signature } = await sign(
      { hash: pending.hash, hashAlgorithm: pending.hashAlgorithm, certificateSha256: pending.certificateSha256, label: pending.label },
      { lang },
    );
    say('finishing');
    await post('/referral/finish', { signature });
    location.assign('/referral/result');
  } catch (err) {
    second.disabled = false;
    fail(err);
  }
});
`;
