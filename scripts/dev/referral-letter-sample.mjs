// The sample 紹介状 (診療情報提供書) of the demo and the PAdES tests, printed to PDF by Chromium:
//   node scripts/dev/referral-letter-sample.mjs [OUT]   (default: server/demo/sample-documents/referral-letter-sample.pdf)
// The patient, doctors and hospitals are made up, and every page says 見本 (sample). The output is
// reproducible: Chromium's creation and modification dates are set to a fixed time afterwards, in
// place and at the same length, so the cross-reference offsets stay right.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const DEFAULT_OUT = fileURLToPath(
  new URL('../../server/demo/sample-documents/referral-letter-sample.pdf', import.meta.url),
);
const FIXED_DATE = '20260401090000';

const HTML = `<!doctype html>
<html lang="ja"><head><meta charset="utf-8"><title>診療情報提供書（見本）</title>
<style>
  @page { size: A4; margin: 14mm 18mm; }
  body { font-family: "Noto Sans CJK JP", "Noto Sans JP", sans-serif; font-size: 10pt; color: #111; line-height: 1.5; }
  h1 { text-align: center; font-size: 18pt; letter-spacing: 0.4em; margin: 0 0 4mm; }
  .sample { position: fixed; top: 95mm; left: 0; right: 0; text-align: center; font-size: 90pt; color: rgba(200, 0, 0, 0.12); transform: rotate(-25deg); }
  .banner { border: 1.5pt solid #b00; color: #b00; text-align: center; padding: 1mm; margin-bottom: 5mm; font-weight: bold; }
  table { border-collapse: collapse; width: 100%; margin: 3mm 0; }
  th, td { border: 0.6pt solid #444; padding: 1.5mm 2.5mm; text-align: left; vertical-align: top; }
  th { width: 28%; background: #f1f1f1; font-weight: normal; }
  .right { text-align: right; }
  .box { border: 0.6pt solid #444; padding: 2mm 3mm; min-height: 10mm; margin-bottom: 2mm; }
  h2 { font-size: 10.5pt; margin: 2.5mm 0 1mm; }
</style></head>
<body>
<div class="sample">見本 SAMPLE</div>
<div class="banner">見本（架空の患者・医師・医療機関です）SAMPLE</div>
<h1>診療情報提供書</h1>
<p class="right">令和8年4月1日</p>
<table>
  <tr><th>紹介先医療機関</th><td>架空総合病院　循環器内科<br>見本 次郎 先生 御侍史</td></tr>
  <tr><th>紹介元医療機関</th><td>サンプル内科クリニック（東京都千代田区見本町1-2-3）<br>電話 03-0000-0000</td></tr>
  <tr><th>紹介元医師</th><td>日医 太郎（医師）</td></tr>
</table>
<table>
  <tr><th>患者氏名</th><td>試験 花子（しけん はなこ）　女性</td></tr>
  <tr><th>生年月日</th><td>昭和30年1月1日（71歳）</td></tr>
  <tr><th>住所</th><td>東京都千代田区見本町4-5-6</td></tr>
</table>
<h2>傷病名</h2>
<div class="box">1. 高血圧症<br>2. 発作性心房細動の疑い</div>
<h2>紹介目的</h2>
<div class="box">動悸の精査および加療のお願い（ホルター心電図、心エコー検査）</div>
<h2>既往歴・家族歴</h2>
<div class="box">既往歴: 特記事項なし（見本）。家族歴: 父 高血圧症。</div>
<h2>症状経過・検査結果・治療経過</h2>
<div class="box">3か月前より週1〜2回、数分間の動悸を自覚。来院時の心電図は洞調律、血圧 148/92 mmHg。<br>
血液検査: 甲状腺機能正常、電解質異常なし（いずれも見本の値です）。</div>
<h2>現在の処方</h2>
<div class="box">アムロジピン錠 5mg　1日1回 朝食後（見本）</div>
<h2>備考</h2>
<div class="box">この文書は HPKI Login のデモと試験のための見本です。電子署名（PAdES）の対象として使います。</div>
</body></html>`;

/** Chromium's /CreationDate and /ModDate (D:YYYYMMDDHHmmSS…) set to FIXED_DATE, same length, in place. */
function fixDates(pdf) {
  const text = pdf.toString('latin1');
  const fixed = text.replace(/\/(CreationDate|ModDate) \(D:(\d{14})/g, (_m, key) => `/${key} (D:${FIXED_DATE}`);
  return Buffer.from(fixed, 'latin1');
}

export async function renderReferralLetter() {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true });
  try {
    const page = await browser.newPage();
    await page.setContent(HTML, { waitUntil: 'load' });
    return fixDates(await page.pdf({ format: 'A4', printBackground: true, tagged: false, outline: false }));
  } finally {
    await browser.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = process.argv[2] ?? DEFAULT_OUT;
  writeFileSync(out, await renderReferralLetter());
  process.stdout.write(`${out}\n`);
}
