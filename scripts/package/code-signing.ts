import { execFile } from 'node:child_process';
import { rename, rm } from 'node:fs/promises';
import { promisify } from 'node:util';

/**
 * Optional Authenticode signature of the MSI with `osslsigncode`, when the operator supplies a key:
 * `HPKI_LOGIN_SIGN_PKCS12` (a .p12/.pfx with the code-signing certificate and its key),
 * `HPKI_LOGIN_SIGN_PASSWORD_FILE` (its password, read from a file so it never shows in a process
 * list) and `HPKI_LOGIN_SIGN_TIMESTAMP` (an RFC 3161 time-stamp URL, so the signature outlives the
 * certificate). Without a key the MSI is unsigned: see docs/install.md for what SmartScreen shows.
 */

const execFileAsync = promisify(execFile);

export interface SigningKey {
  pkcs12: string;
  passwordFile?: string;
  timestampUrl?: string;
}

export function signingKeyFromEnv(env: NodeJS.ProcessEnv): SigningKey | undefined {
  const pkcs12 = env.HPKI_LOGIN_SIGN_PKCS12;
  if (pkcs12 === undefined || pkcs12 === '') return undefined;
  const key: SigningKey = { pkcs12 };
  if (env.HPKI_LOGIN_SIGN_PASSWORD_FILE) key.passwordFile = env.HPKI_LOGIN_SIGN_PASSWORD_FILE;
  if (env.HPKI_LOGIN_SIGN_TIMESTAMP) key.timestampUrl = env.HPKI_LOGIN_SIGN_TIMESTAMP;
  return key;
}

/** Signs `file` in place. */
export async function signFile(file: string, key: SigningKey, description: string): Promise<void> {
  const unsigned = `${file}.unsigned`;
  await rename(file, unsigned);
  const args = ['sign', '-pkcs12', key.pkcs12, '-n', description, '-i', 'https://hpkilogin.jp/', '-h', 'sha256'];
  if (key.passwordFile !== undefined) args.push('-readpass', key.passwordFile);
  if (key.timestampUrl !== undefined) args.push('-ts', key.timestampUrl);
  try {
    await execFileAsync('osslsigncode', [...args, '-in', unsigned, '-out', file]);
  } catch (err) {
    await rename(unsigned, file);
    throw new Error(`osslsigncode could not sign ${file}: ${(err as { stderr?: string }).stderr ?? String(err)}`);
  }
  await rm(unsigned, { force: true });
}
