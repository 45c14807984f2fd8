/**
 * PEM and DER files as operators have them: one or several PEM blocks (text around them is
 * ignored), or a single DER object. Only blocks with the wanted labels are returned.
 */

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\s]*?)-----END \1-----/g;

export type PemLabel = 'CERTIFICATE' | 'X509 CRL' | 'TRUSTED CERTIFICATE';

function looksLikePem(bytes: Uint8Array): boolean {
  return Buffer.from(bytes.subarray(0, Math.min(bytes.length, 64 * 1024))).includes('-----BEGIN ');
}

/** Every PEM block with one of `labels`, decoded; empty when the input has no PEM. */
export function decodePemBlocks(bytes: Uint8Array, ...labels: PemLabel[]): Uint8Array[] {
  if (!looksLikePem(bytes)) return [];
  const text = Buffer.from(bytes).toString('latin1');
  const out: Uint8Array[] = [];
  for (const match of text.matchAll(PEM_BLOCK)) {
    if (!(labels as string[]).includes(match[1]!)) continue;
    out.push(new Uint8Array(Buffer.from(match[2]!.replace(/\s+/g, ''), 'base64')));
  }
  return out;
}

/**
 * The DER objects in a file: its PEM blocks with the given labels, or the file itself when it is
 * not PEM (then it is taken as one DER object, to be validated by its parser).
 */
export function readDerObjects(bytes: Uint8Array, ...labels: PemLabel[]): Uint8Array[] {
  if (looksLikePem(bytes)) return decodePemBlocks(bytes, ...labels);
  return bytes.length === 0 ? [] : [bytes];
}
