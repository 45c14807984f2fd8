import type { DocumentFormat, SignatureReport } from '../../protocol/signature-report.js';
import type { DocumentVerifyOptions, PendingSignature, Timestamper } from '../../server/documents/document-types.js';

/**
 * The document formats `hpki-login sign` and `verify-signature` know: one entry per format, so
 * that a new format is one entry here (PROTOCOL.md §11). Each module is loaded only when used.
 */

export interface SigningInput {
  file: Uint8Array;
  certificate: Uint8Array;
  intermediates: Uint8Array[];
}

export interface FormatEntry {
  /** The largest FILE `sign` and `verify-signature` read. */
  maxFileBytes: number;
  /** What the card must sign, and the state to finish with. */
  prepare(input: SigningInput): Promise<PendingSignature>;
  finish(state: Uint8Array, signature: Uint8Array, timestamper: Timestamper | undefined): Promise<Uint8Array>;
  /** Whether a file to verify looks like this format (first bytes), for `verify-signature` without --format. */
  looksLike(file: Uint8Array): boolean;
  verify(file: Uint8Array, data: Uint8Array | undefined, options: DocumentVerifyOptions): Promise<SignatureReport>;
}

const MIB = 1024 * 1024;

const cades: FormatEntry = {
  maxFileBytes: 32 * MIB,
  async prepare({ file, certificate, intermediates }) {
    return (await import('../../server/documents/cms/index.js')).prepareCades({
      data: file,
      certificate,
      intermediates,
    });
  },
  async finish(state, signature, timestamper) {
    const { finishCades } = await import('../../server/documents/cms/index.js');
    return finishCades(state, signature, timestamper === undefined ? {} : { timestamper });
  },
  // A DER SEQUENCE: CMS is the only binary format of the three.
  looksLike: (file) => file[0] === 0x30,
  async verify(file, data, options) {
    const { verifyCades } = await import('../../server/documents/cms/index.js');
    return verifyCades(file, data === undefined ? options : { ...options, data });
  },
};

/** `<` after an optional UTF-8 byte order mark and white space: an XML document. */
function startsWithMarkup(file: Uint8Array): boolean {
  let i = file[0] === 0xef && file[1] === 0xbb && file[2] === 0xbf ? 3 : 0;
  while (i < file.length && i < 64 && [0x20, 0x09, 0x0a, 0x0d].includes(file[i] ?? 0)) i++;
  return file[i] === 0x3c;
}

// FILE is the e-prescription CSV when signing (prepareXades takes up to 512 KiB), the 処方箋 XML when verifying.
const xades: FormatEntry = {
  maxFileBytes: 2 * MIB,
  async prepare({ file, certificate }) {
    return (await import('../../server/documents/xades/index.js')).prepareXades(file, certificate);
  },
  async finish(state, signature, timestamper) {
    const { finishXades } = await import('../../server/documents/xades/index.js');
    return finishXades(state, signature, timestamper === undefined ? {} : { timestamper });
  },
  looksLike: startsWithMarkup,
  async verify(file, _data, options) {
    return (await import('../../server/documents/xades/index.js')).verifyXades(file, options);
  },
};

const PDF_HEADER = Buffer.from('%PDF-', 'latin1');

const pades: FormatEntry = {
  maxFileBytes: 50 * MIB,
  async prepare({ file, certificate, intermediates }) {
    return (await import('../../server/documents/pades/index.js')).preparePades({
      pdf: file,
      certificate,
      intermediates,
    });
  },
  async finish(state, signature, timestamper) {
    const { finishPades } = await import('../../server/documents/pades/index.js');
    return finishPades(state, signature, timestamper === undefined ? {} : { timestamper });
  },
  // The header is within the first 1024 bytes (ISO 32000-1 §7.5.2 as readers apply it).
  looksLike: (file) => Buffer.from(file.buffer, file.byteOffset, Math.min(file.length, 1024)).includes(PDF_HEADER),
  async verify(file, _data, options) {
    const { verifyPades } = await import('../../server/documents/pades/index.js');
    return verifyPades(file, options);
  },
};

export const DOCUMENT_FORMAT_TABLE: Partial<Record<DocumentFormat, FormatEntry>> = { cades, pades, xades };

export function formatEntry(format: DocumentFormat): FormatEntry | undefined {
  return DOCUMENT_FORMAT_TABLE[format];
}

/** The format whose entry recognises `file`, in table order. */
export function detectFormat(file: Uint8Array): DocumentFormat | undefined {
  return (Object.entries(DOCUMENT_FORMAT_TABLE) as [DocumentFormat, FormatEntry][]).find(([, e]) =>
    e.looksLike(file),
  )?.[0];
}
