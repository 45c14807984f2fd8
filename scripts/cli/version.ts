/** Replaced at build time by esbuild (`define`) with package.json's version. */
declare const HPKI_LOGIN_VERSION: string;

/** The CLI's and the host's version (read when asked: only the built CLI defines it). */
export function cliVersion(): string {
  return HPKI_LOGIN_VERSION;
}
