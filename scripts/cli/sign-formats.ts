import { DOCUMENT_FORMATS, type DocumentFormat } from '../../protocol/signature-report.js';
import type { PendingSignature, Timestamper } from '../../server/documents/document-types.js';
import { UsageError } from './usage-error.js';

/**
 * How `hpki-login sign` makes each document format: one entry per format, so that a new format is
 * one entry here (PROTOCOL.md §11; recognising and verifying a file is server/documents'
 * detectDocumentFormat and verifyDocument). Each module is loaded only when used.
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
};

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
};

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
};

export const DOCUMENT_FORMAT_TABLE: Readonly<Record<DocumentFormat, FormatEntry>> = { cades, pades, xades };

/** The format `--format` names: a UsageError for anything else. */
export function formatNamed(value: string): DocumentFormat {
  const format = DOCUMENT_FORMATS.find((f) => f === value);
  if (format === undefined)
    throw new UsageError('--format must be cades, pades or xades', '--format は cades, pades, xades のいずれかです');
  return format;
}
