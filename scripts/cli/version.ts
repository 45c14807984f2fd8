declare global {
  /** Replaced at build time by esbuild with package.json's version. */
  // eslint-disable-next-line no-var
  var HPKI_LOGIN_VERSION: string;
}
export {};
