import { mkdirSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Where the e2e tests write their screenshots, ending with a slash: test-output/screenshots/ (ignored
 * by git), so a test run changes no tracked file. `npm run screenshots` points HPKI_LOGIN_SCREENSHOTS
 * at docs/screenshots/ to refresh the README's pictures on purpose.
 */
export function screenshotsDir(): string {
  const chosen = process.env.HPKI_LOGIN_SCREENSHOTS;
  const dir = chosen === undefined || chosen === '' ? 'test-output/screenshots' : chosen;
  const path = isAbsolute(dir) ? dir : resolve(ROOT, dir);
  mkdirSync(path, { recursive: true });
  return `${path}/`;
}
