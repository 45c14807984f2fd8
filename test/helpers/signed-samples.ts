import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { REPO_ROOT } from './repo-root.js';

/**
 * Real e-prescription and dispensing files signed by others (MEDIS test HPKI certificates), from
 * findex-inc/MediSignVerifier. They are read where they are published beside the repository, never
 * copied into it: `../shared/signed-samples` from the repository root, or the folder named by
 * HPKI_SIGNED_SAMPLES. Without them, the tests that need them are skipped with SIGNED_SAMPLES_NOTE.
 */
export const SIGNED_SAMPLES_DIR = process.env.HPKI_SIGNED_SAMPLES ?? resolve(REPO_ROOT, '../shared/signed-samples');

export const SIGNED_SAMPLES_PRESENT = existsSync(join(SIGNED_SAMPLES_DIR, 'Prescription-004_01.xml'));

export const SIGNED_SAMPLES_NOTE =
  `skipped: no signed samples at ${SIGNED_SAMPLES_DIR}. They are the e-prescription files of ` +
  'github.com/findex-inc/MediSignVerifier (src/MediSignVerifierTests/Resources/) with the trust material ' +
  'taken from them; put them in ../shared/signed-samples or point HPKI_SIGNED_SAMPLES at their folder.';

export function readSample(name: string): Buffer {
  return readFileSync(join(SIGNED_SAMPLES_DIR, name));
}

/** DER of the first PEM block of a sample file. */
export function readSamplePemDer(name: string): Uint8Array {
  const match = /-----BEGIN [A-Z0-9 ]+-----([\s\S]*?)-----END/.exec(readSample(name).toString('latin1'));
  if (match?.[1] === undefined) throw new Error(`no PEM block in ${name}`);
  return new Uint8Array(Buffer.from(match[1].replace(/\s+/g, ''), 'base64'));
}
