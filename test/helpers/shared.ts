import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The shared folder beside the project root: contracts, test vectors and real HPKI material. */
export const SHARED_DIR = fileURLToPath(new URL('../../../shared/', import.meta.url));

export function sharedPath(...parts: string[]): string {
  return SHARED_DIR + parts.join('/');
}

export function readShared(...parts: string[]): string {
  return readFileSync(sharedPath(...parts), 'utf8');
}

/** DER bytes of the first PEM block in a shared file. */
export function readSharedPemDer(...parts: string[]): Uint8Array {
  const pem = readShared(...parts);
  const match = /-----BEGIN [A-Z0-9 ]+-----([\s\S]*?)-----END [A-Z0-9 ]+-----/.exec(pem);
  if (match === null || match[1] === undefined) throw new Error(`no PEM block in ${parts.join('/')}`);
  return new Uint8Array(Buffer.from(match[1].replace(/\s+/g, ''), 'base64'));
}
