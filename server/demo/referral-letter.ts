import { DEMO_PATIENTS } from './patients.js';

/**
 * The demo's sample 紹介状 (診療情報提供書): the text the portal shows, and the same text as a
 * one-page PDF that the doctor signs. Every name in it is fictional. The PDF uses a non-embedded
 * Adobe-Japan1 font (HeiseiKakuGo-W5, UniJIS-UCS2-H), which every PDF reader maps to a Japanese font.
 */

const patient = DEMO_PATIENTS[0]!;

export const REFERRAL_LETTER = {
  title: '診療情報提供書',
  date: '2026年11月20日',
  to: 'そよかぜ内科クリニック　院長　殿',
  from: 'はれやか総合病院　内科',
  patient: `${patient.name}　様（${patient.age}歳・${patient.sex}性）`,
  body: [
    '傷病名：高血圧症、2型糖尿病',
    '紹介目的：退院後の継続加療をお願いいたします。',
    '経過：11月に肺炎で入院し、抗菌薬で軽快しました。',
    '処方：アムロジピン 5mg 1日1回、メトホルミン 500mg 1日2回。',
    'ご高診のほど、よろしくお願い申し上げます。',
  ],
} as const;

/** The label the page passes to `sign`, shown in the 電子署名 window as the site's words. */
export const REFERRAL_LABEL = `紹介状（診療情報提供書）${patient.name} 様`;

/** The signed PDF's file name. */
export const REFERRAL_FILE_NAME = 'referral-letter-signed.pdf';

const enc = (s: string): Buffer => Buffer.from(s, 'latin1');

/** A PDF hex string of UTF-16BE code units, as the UCS2 CMap reads them. */
function ucs2(text: string): string {
  return `<${Buffer.from(text, 'utf16le').swap16().toString('hex').toUpperCase()}>`;
}

function contentStream(): string {
  const l = REFERRAL_LETTER;
  const lines: [number, number, string][] = [
    [20, 750, l.title],
    [11, 710, l.date],
    [11, 680, l.to],
    [11, 660, l.from],
    [11, 630, `患者：${l.patient}`],
    ...l.body.map((text, i): [number, number, string] => [11, 595 - i * 22, text]),
  ];
  return lines.map(([size, y, text]) => `BT /F1 ${size} Tf 60 ${y} Td ${ucs2(text)} Tj ET`).join('\n');
}

const FONT = [
  '<< /Type /Font /Subtype /Type0 /BaseFont /HeiseiKakuGo-W5 /Encoding /UniJIS-UCS2-H /DescendantFonts [6 0 R] >>',
  '<< /Type /Font /Subtype /CIDFontType0 /BaseFont /HeiseiKakuGo-W5 /DW 1000 ' +
    '/CIDSystemInfo << /Registry (Adobe) /Ordering (Japan1) /Supplement 2 >> /FontDescriptor 7 0 R >>',
  '<< /Type /FontDescriptor /FontName /HeiseiKakuGo-W5 /Flags 4 /FontBBox [-92 -250 1010 922] ' +
    '/ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 737 /StemV 114 >>',
];

/** The letter as a PDF 1.4 file with a classic cross-reference table. */
export function referralLetterPdf(): Uint8Array {
  const content = contentStream();
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>',
    `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
    ...FONT,
    // A text string in UTF-16BE starts with its byte-order mark.
    `<< /Title ${ucs2(`\ufeff${REFERRAL_LETTER.title}（見本）`)} /Producer (HPKI Login demo) >>`,
  ];
  let out = '%PDF-1.4\n%\xe2\xe3\xcf\xd3\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f\r\n`;
  for (const o of offsets) out += `${String(o).padStart(10, '0')} 00000 n\r\n`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R /Info ${objects.length} 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return new Uint8Array(enc(out));
}
