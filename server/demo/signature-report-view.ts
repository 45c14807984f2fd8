import type { ReportedRevocation, SignatureReport, SignatureVerdict } from '../../protocol/signature-report.js';
import { escapeHtml, type PageLang } from '../http/index.js';
import { roleLabel } from './portal-user.js';

/**
 * A verification report (protocol/signature-report.ts) as the portal shows it: the verdict, then
 * one block per signature (signer, hcRole, time, level, chain, revocation, the reason when invalid).
 */

const TEXT = {
  ja: {
    valid: '有効な署名です',
    invalid: '署名は有効ではありません',
    signature: (n: number, of: number) => (of === 1 ? '署名' : `署名 ${n} / ${of}`),
    rows: {
      verdict: '検証結果',
      signer: '署名者',
      holderId: '資格者ID',
      role: '資格',
      time: '署名時刻',
      timestamp: 'タイムスタンプ',
      format: '形式',
      chain: '証明書チェーン',
      revocation: '失効確認',
      error: '理由',
    },
    ok: '有効',
    ng: '無効',
    revocation: {
      good: '失効していません',
      revoked: '失効しています',
      unknown: '確認できません',
      'not-checked': '確認していません',
    },
  },
  en: {
    valid: 'The signature is valid',
    invalid: 'The signature is not valid',
    signature: (n: number, of: number) => (of === 1 ? 'Signature' : `Signature ${n} of ${of}`),
    rows: {
      verdict: 'Result',
      signer: 'Signer',
      holderId: 'Holder ID',
      role: 'Qualification',
      time: 'Signing time',
      timestamp: 'Timestamp',
      format: 'Format',
      chain: 'Certificate chain',
      revocation: 'Revocation',
      error: 'Reason',
    },
    ok: 'valid',
    ng: 'invalid',
    revocation: {
      good: 'not revoked',
      revoked: 'revoked',
      unknown: 'could not be checked',
      'not-checked': 'not checked',
    },
  },
} as const;

const FORMAT_NAMES = { cades: 'CAdES', pades: 'PAdES', xades: 'XAdES' } as const;

/** A time as the page's language writes it, in Japan's time zone, to the second. */
export function formatDateTime(lang: PageLang, iso: string): string {
  return new Intl.DateTimeFormat(lang === 'ja' ? 'ja-JP' : 'en-GB', {
    timeZone: 'Asia/Tokyo',
    dateStyle: 'long',
    timeStyle: 'long',
  }).format(new Date(iso));
}

function signerName(v: SignatureVerdict, lang: PageLang): string | undefined {
  if (v.holder === undefined) return undefined;
  const ja = v.holder.nameJa?.replace(/\u3000/g, ' ');
  return lang === 'ja' ? (ja ?? v.holder.name) : v.holder.name || ja;
}

/** The report's revocation word in the page's language (every word of REPORTED_REVOCATIONS has one). */
function revocationText(v: SignatureVerdict, lang: PageLang): string {
  const names: Readonly<Record<ReportedRevocation, string>> = TEXT[lang].revocation;
  return names[v.revocation];
}

function verdictRows(v: SignatureVerdict, lang: PageLang): [string, string | undefined, string][] {
  const t = TEXT[lang];
  return [
    [t.rows.verdict, v.valid ? t.ok : t.ng, 'verdict'],
    [t.rows.error, v.error, 'error'],
    [t.rows.signer, signerName(v, lang), 'signer'],
    [t.rows.holderId, v.holder?.id, 'holder-id'],
    [t.rows.role, v.hcRole === undefined ? undefined : roleLabel(v.hcRole, lang), 'role'],
    [t.rows.time, v.signingTime === undefined ? undefined : formatDateTime(lang, v.signingTime), 'time'],
    [
      t.rows.timestamp,
      v.timestamp === undefined ? undefined : `${formatDateTime(lang, v.timestamp.time)} (${v.timestamp.tsa})`,
      'timestamp',
    ],
    [t.rows.format, `${FORMAT_NAMES[v.format]} ${v.level}`, 'format'],
    [t.rows.chain, v.chain?.join(' → '), 'chain'],
    [t.rows.revocation, revocationText(v, lang), 'revocation'],
  ];
}

function verdictBlock(v: SignatureVerdict, n: number, of: number, lang: PageLang): string {
  const rows = verdictRows(v, lang)
    .filter((row): row is [string, string, string] => row[1] !== undefined)
    .map(([k, value, hook]) => `<dt>${k}</dt><dd data-demo="${hook}">${escapeHtml(value)}</dd>`)
    .join('');
  return `<div class="signature" data-demo="signature" data-valid="${v.valid}">
<h3>${TEXT[lang].signature(n, of)}</h3>
<dl class="profile">${rows}</dl>
</div>`;
}

/** The report: a headline with `data-valid`, then every signature (none for an unreadable file). */
export function reportView(report: SignatureReport, lang: PageLang): string {
  const t = TEXT[lang];
  const headline = report.valid ? t.valid : t.invalid;
  const all = report.signatures.length === 0 ? [report] : report.signatures;
  return `<div class="report" data-demo="report" data-valid="${report.valid}" data-format="${report.format}">
<p class="verdict ${report.valid ? 'ok' : 'ng'}" data-demo="verdict">${headline}</p>
${all.map((v, i) => verdictBlock(v, i + 1, all.length, lang)).join('\n')}
</div>`;
}
