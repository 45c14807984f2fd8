import type { SignatureReport } from '../../protocol/signature-report.js';
import { type Bilingual, escapeHtml, type PageLang } from '../http/index.js';
import { layout } from './pages.js';
import type { PortalUser } from './portal-user.js';
import { REFERRAL_LETTER } from './referral-letter.js';
import { REFERRAL_SCRIPT_PATH } from './referral-script.js';
import { reportView } from './signature-report-view.js';

/**
 * The pages of 「紹介状に署名」 and 「署名を検証」, each in one language (Accept-Language). The
 * referral page runs the portal's own script (/static/referral.js, with the page client library);
 * the other pages, like the rest of the portal, run none.
 */

export const REFERRAL_PATHS = {
  page: '/referral',
  letter: '/referral/letter.pdf',
  prepare: '/referral/prepare',
  finish: '/referral/finish',
  result: '/referral/result',
  signed: '/referral/signed.pdf',
  verify: '/verify',
} as const;

const REFERRAL_TEXT = {
  ja: {
    title: '紹介状に署名',
    intro:
      '下の紹介状（見本）にHPKIカード（医師資格証）の署名用の鍵で電子署名します。「署名する」を押すと拡張機能の電子署名ウィンドウが開き、署名用の証明書をこのサイトに渡してよいか確認します。続いて「PINを入力して署名」を押し、署名用PINを入力してください。',
    pdf: '紹介状（見本）のPDF',
    sign: '署名する',
    pin: 'PINを入力して署名',
    patient: '患者',
    needCard: '紹介状への署名は、HPKIカード（医師資格証）でログインした方のみご利用になれます。',
    back: 'ポータルへ戻る',
  },
  en: {
    title: 'Sign a referral letter',
    intro:
      'Sign the sample referral letter below with the signing key of your HPKI card. “Sign” opens the extension’s 電子署名 (e-signature) window, which asks whether to give this site your signing certificate. Then press “Enter PIN and sign” and type your signing PIN.',
    pdf: 'The sample referral letter (PDF)',
    sign: 'Sign',
    pin: 'Enter PIN and sign',
    patient: 'Patient',
    needCard: 'Signing a referral letter needs a sign-in with your HPKI card.',
    back: 'Back to the portal',
  },
} as const;

/** What the script says while it works, by the page's language (data attributes: the CSP bars inline scripts). */
const SCRIPT_MESSAGES = {
  ja: {
    certificate: '電子署名ウィンドウで、証明書を渡すか確認してください…',
    ready: '署名の準備ができました。「PINを入力して署名」を押してください。',
    signing: '電子署名ウィンドウで署名用PINを入力してください…',
    finishing: '署名を仕上げています…',
    failed: '署名できませんでした',
  },
  en: {
    certificate: 'Confirm in the 電子署名 window that the certificate may be given…',
    ready: 'Ready to sign. Press “Enter PIN and sign”.',
    signing: 'Type your signing PIN in the 電子署名 window…',
    finishing: 'Finishing the signature…',
    failed: 'The letter was not signed',
  },
} as const;

function letterView(lang: PageLang): string {
  const l = REFERRAL_LETTER;
  const patient = REFERRAL_TEXT[lang].patient;
  return `<article class="letter" lang="ja" data-demo="letter">
<h3>${l.title}</h3>
<p class="letter-date">${l.date}</p>
<p>${l.to}</p>
<p>${l.from}</p>
<p>${patient}：${l.patient}</p>
${l.body.map((line) => `<p>${escapeHtml(line)}</p>`).join('\n')}
</article>`;
}

/** Whether the user logged in with the card (directly or through the medical sign-on): only they sign. */
export function loggedInWithCard(user: PortalUser): boolean {
  return user.method !== 'password';
}

export function referralPage(user: PortalUser, lang: PageLang): string {
  const t = REFERRAL_TEXT[lang];
  const m = SCRIPT_MESSAGES[lang];
  const data = Object.entries(m)
    .map(([k, v]) => `data-msg-${k}="${escapeHtml(v)}"`)
    .join(' ');
  const actions = loggedInWithCard(user)
    ? `<div class="sign-actions" id="referral" ${data}>
<button type="button" id="referral-sign" data-demo="referral-sign">${t.sign}</button>
<button type="button" id="referral-pin" data-demo="referral-pin" hidden>${t.pin}</button>
</div>
<p id="referral-status" class="hint" role="status" data-demo="referral-status"></p>
<p id="referral-error" class="error" role="alert" data-demo="referral-error" hidden></p>`
    : `<p class="error" role="alert">${t.needCard}</p>`;
  const script = loggedInWithCard(user) ? `<script type="module" src="${REFERRAL_SCRIPT_PATH}"></script>` : '';
  return layout(
    lang,
    t.title,
    `<section class="card">
<h2>${t.title}</h2>
<p>${t.intro}</p>
${letterView(lang)}
<p><a href="${REFERRAL_PATHS.letter}" data-demo="letter-pdf">${t.pdf}</a></p>
${actions}
<p><a href="/portal">${t.back}</a></p>
</section>
${script}`,
    user,
  );
}

const RESULT_TEXT = {
  ja: {
    title: '署名した紹介状',
    download: '署名済みPDFをダウンロード',
    verified: '署名済みPDFを、このポータルが信頼する証明書（デモの認証局）で検証した結果です。',
    again: 'もう一度署名する',
    none: '署名済みの紹介状はありません（30分で消えます）。',
  },
  en: {
    title: 'The signed referral letter',
    download: 'Download the signed PDF',
    verified: 'The signed PDF, verified against the certificates this portal trusts (the demo’s CA).',
    again: 'Sign again',
    none: 'There is no signed letter (they are kept 30 minutes).',
  },
} as const;

export function referralResultPage(
  user: PortalUser,
  lang: PageLang,
  signed: { report: SignatureReport } | undefined,
): string {
  const t = RESULT_TEXT[lang];
  const body =
    signed === undefined
      ? `<p>${t.none}</p>`
      : `<p>${t.verified}</p>
${reportView(signed.report, lang)}
<p><a class="button" href="${REFERRAL_PATHS.signed}" download data-demo="download">${t.download}</a></p>`;
  return layout(
    lang,
    t.title,
    `<section class="card">
<h2>${t.title}</h2>
${body}
<p><a href="${REFERRAL_PATHS.page}">${t.again}</a> ・ <a href="/portal">${REFERRAL_TEXT[lang].back}</a></p>
</section>`,
    user,
  );
}

const VERIFY_TEXT = {
  ja: {
    title: '署名を検証',
    intro:
      '署名されたPDF（PAdES）、CAdES署名ファイル、電子処方箋・調剤結果のXML（XAdES）を検証します。形式はファイルの中身から判断します。',
    file: '署名されたファイル',
    data: 'CAdES の場合：署名対象のデータファイル（任意）',
    limit: (mib: number) => `ファイルは合わせて ${mib} MB までです。`,
    trust: '信頼する証明書：デモの認証局（運用者は本物のHPKIルート証明書を追加できます）。',
    submit: '検証する',
    result: '検証結果',
    back: 'ポータルへ戻る',
  },
  en: {
    title: 'Verify a signature',
    intro:
      'Verifies a signed PDF (PAdES), a CAdES signature file, or an e-prescription or dispensing XML (XAdES). The format is told from the file itself.',
    file: 'The signed file',
    data: 'For CAdES: the signed data file (optional)',
    limit: (mib: number) => `Files up to ${mib} MB together.`,
    trust: 'Trusted: the demo’s CA (an operator can add the real HPKI root).',
    submit: 'Verify',
    result: 'Result',
    back: 'Back to the portal',
  },
} as const;

export interface VerifyPageOptions {
  lang: PageLang;
  user: PortalUser | undefined;
  maxUploadMiB: number;
  report?: SignatureReport;
  error?: Bilingual;
}

export function verifyPage(options: VerifyPageOptions): string {
  const { lang } = options;
  const t = VERIFY_TEXT[lang];
  const error =
    options.error === undefined
      ? ''
      : `<p class="error" role="alert" data-demo="verify-error">${escapeHtml(options.error[lang])}</p>`;
  const result =
    options.report === undefined
      ? ''
      : `<section class="card"><h2>${t.result}</h2>${reportView(options.report, lang)}</section>`;
  return layout(
    lang,
    t.title,
    `<section class="card">
<h2>${t.title}</h2>
<p>${t.intro}</p>
${error}
<form id="verify-form" method="post" action="${REFERRAL_PATHS.verify}" enctype="multipart/form-data">
<label for="verify-file">${t.file}</label>
<input type="file" id="verify-file" name="document" required>
<label for="verify-data">${t.data}</label>
<input type="file" id="verify-data" name="data">
<p class="hint">${t.limit(options.maxUploadMiB)} ${t.trust}</p>
<button type="submit" data-demo="verify-submit">${t.submit}</button>
</form>
<p><a href="${options.user === undefined ? '/' : '/portal'}">${t.back}</a></p>
</section>
${result}`,
    options.user,
  );
}
