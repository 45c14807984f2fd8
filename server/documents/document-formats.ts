import type { DocumentFormat, SignatureReport } from '../../protocol/signature-report.js';
import type { DocumentVerifyOptions } from './document-types.js';

/**
 * Which of the three formats a signed file is, from its first bytes, and its verification by that
 * format's verifier: one place for the CLI's `verify-signature` and the demo's 「署名を検証」. Each
 * format's module is loaded only when a file of it is verified.
 */

const PDF_HEADER = Buffer.from('%PDF-', 'latin1');

/** `%PDF-` within the first 1024 bytes (ISO 32000-1 §7.5.2 as readers apply it). */
export function hasPdfHeader(file: Uint8Array): boolean {
  return Buffer.from(file.buffer, file.byteOffset, Math.min(file.length, 1024)).includes(PDF_HEADER);
}

/** `<` after an optional UTF-8 byte order mark and up to 64 blanks: an XML document. */
function startsWithMarkup(file: Uint8Array): boolean {
  let i = file[0] === 0xef && file[1] === 0xbb && file[2] === 0xbf ? 3 : 0;
  while (i < file.length && i < 64 && [0x20, 0x09, 0x0a, 0x0d].includes(file[i] ?? 0)) i++;
  return file[i] === 0x3c;
}

/**
 * A DER SEQUENCE is CMS (the only binary format of the three, checked first so that a CMS holding a
 * PDF stays CMS); `%PDF-` within the first 1024 bytes (ISO 32000-1 §7.5.2 as readers apply it) is a
 * PDF; markup is XML.
 */
export function detectDocumentFormat(file: Uint8Array): DocumentFormat | undefined {
  if (file[0] === 0x30) return 'cades';
  if (hasPdfHeader(file)) return 'pades';
  if (startsWithMarkup(file)) return 'xades';
  return undefined;
}

/** Verifies `file` as `format`; `data` is the content of a detached CAdES signature. */
export async function verifyDocument(
  format: DocumentFormat,
  file: Uint8Array,
  data: Uint8Array | undefined,
  options: DocumentVerifyOptions,
): Promise<SignatureReport> {
  switch (format) {
    case 'cades': {
      const { verifyCades } = await import('./cms/index.js');
      return verifyCades(file, data === undefined ? options : { ...options, data });
    }
    case 'pades':
      return (await import('./pades/index.js')).verifyPades(file, options);
    case 'xades':
      return (await import('./xades/index.js')).verifyXades(file, options);
  }
}
