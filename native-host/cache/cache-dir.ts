import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

/**
 * The host's per-user cache directory: `HPKI_LOGIN_CACHE_DIR` when set (tests, or an administrator's
 * choice), else the platform's user cache folder: `%LOCALAPPDATA%\hpki-login\cache` on Windows,
 * `~/Library/Caches/hpki-login` on macOS, `$XDG_CACHE_HOME/hpki-login` (default `~/.cache`) elsewhere.
 */

export const CACHE_DIR_ENV = 'HPKI_LOGIN_CACHE_DIR';

export interface CacheDirContext {
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  home: string;
}

export function defaultCacheDir(
  context: CacheDirContext = { env: process.env, platform: process.platform, home: homedir() },
): string {
  const { env, platform, home } = context;
  const chosen = env[CACHE_DIR_ENV];
  if (chosen !== undefined && chosen !== '') return chosen;
  if (platform === 'win32') {
    const local = env.LOCALAPPDATA;
    return join(local !== undefined && local !== '' ? local : join(home, 'AppData', 'Local'), 'hpki-login', 'cache');
  }
  if (platform === 'darwin') return join(home, 'Library', 'Caches', 'hpki-login');
  const xdg = env.XDG_CACHE_HOME;
  // The XDG base directory spec: a relative path is invalid and must be ignored.
  return join(xdg !== undefined && isAbsolute(xdg) ? xdg : join(home, '.cache'), 'hpki-login');
}
