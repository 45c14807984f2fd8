import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The public reference data the tests check against, inside the repository (test/fixtures/, each
 * folder with its note of origin): the protocol's test vectors, the real HPKI certificates and CRLs,
 * and NIST PKITS. No test reads anything outside the checkout.
 */
export const FIXTURES_DIR = fileURLToPath(new URL('../fixtures/', import.meta.url));

export function sharedPath(...parts: string[]): string {
  return FIXTURES_DIR + parts.join('/');
}

export function readShared(...parts: string[]): string {
  return readFileSync(sharedPath(...parts), 'utf8');
}

/** DER bytes of the first PEM block in a fixture file. */
export function readSharedPemDer(...parts: string[]): Uint8Array {
  const pem = readShared(...parts);
  const match = /-----BEGIN [A-Z0-9 ]+-----([\s\S]*?)-----END [A-Z0-9 ]+-----/.exec(pem);
  if (match === null || match[1] === undefined) throw new Error(`no PEM block in ${parts.join('/')}`);
  return new Uint8Array(Buffer.from(match[1].replace(/\s+/g, ''), 'base64'));
}
