import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readOnce } from '../shared/index.js';

/**
 * The demo's sample 紹介状 (診療情報提供書): the PDF the doctor signs
 * (sample-documents/referral-letter-sample.pdf, printed by scripts/dev/referral-letter-sample.mjs;
 * made-up people, marked 見本) and the same letter's main lines, which the portal shows beside it.
 */

/** The source tree's module and the built CLI's chunk both sit two levels below the repository root. */
const SAMPLE_FILE = fileURLToPath(
  new URL('../../server/demo/sample-documents/referral-letter-sample.pdf', import.meta.url),
);

export const REFERRAL_LETTER = {
  title: '診療情報提供書',
  date: '令和8年4月1日',
  to: '架空総合病院　循環器内科　見本 次郎 先生 御侍史',
  from: 'サンプル内科クリニック　日医 太郎（医師）',
  patient: '試験 花子（しけん はなこ）　女性　71歳',
  body: [
    '傷病名：1. 高血圧症　2. 発作性心房細動の疑い',
    '紹介目的：動悸の精査および加療のお願い（ホルター心電図、心エコー検査）',
    '経過：3か月前より週1〜2回、数分間の動悸を自覚。来院時の心電図は洞調律、血圧 148/92 mmHg。',
    '現在の処方：アムロジピン錠 5mg　1日1回 朝食後',
  ],
} as const;

/** The label the page passes to `sign`, shown in the 電子署名 window as the site's words. */
export const REFERRAL_LABEL = '紹介状（診療情報提供書）試験 花子 様';

/** The signed PDF's file name. */
export const REFERRAL_FILE_NAME = 'referral-letter-signed.pdf';

/**
 * The sample letter's bytes, read once; undefined where the file is not installed (a package that
 * ships the CLI without the source tree's sample), so the rest of the portal still runs.
 */
export const referralLetterPdf: () => Uint8Array | undefined = readOnce(
  () => new Uint8Array(readFileSync(SAMPLE_FILE)),
);
