import { posix, win32 } from 'node:path';

/**
 * Where each browser looks for native messaging host manifests, per OS and scope. Paths are the
 * browsers' own lookup paths (Chromium `chrome_paths.cc`, Firefox `NativeManifests`), not guesses:
 *
 * - Brave overrides Chromium's lookup in `BraveMainDelegate`: on Linux its system directory is
 *   Chrome's `/etc/opt/chrome/native-messaging-hosts`, and on macOS it reads Chrome's user and system
 *   directories (`~/Library/Application Support/Google/Chrome/…`, `/Library/Google/Chrome/…`). Its
 *   Linux user directory follows its own profile (`~/.config/BraveSoftware/Brave-Browser`), but it is
 *   fixed to the *default* profile, so `--user-data-dir` does not move it.
 * - On Windows the key follows the product's registry path (Chromium's kNativeMessagingRegistryKey): Google
 *   Chrome and Brave read `Software\Google\Chrome\NativeMessagingHosts`, a Chromium build
 *   `Software\Chromium\NativeMessagingHosts`; Edge reads `Software\Microsoft\Edge\…` first, then
 *   Chrome's. Firefox reads `Software\Mozilla\NativeMessagingHosts`.
 */

export const BROWSERS = ['chrome', 'chromium', 'edge', 'brave', 'firefox'] as const;
export type BrowserId = (typeof BROWSERS)[number];

export const TARGET_OSES = ['linux', 'darwin', 'win32'] as const;
export type TargetOs = (typeof TARGET_OSES)[number];

/** Chrome-family manifests use `allowed_origins`, Firefox's `allowed_extensions`. */
export type ManifestFlavor = 'chrome' | 'firefox';

export function manifestFlavor(browser: BrowserId): ManifestFlavor {
  return browser === 'firefox' ? 'firefox' : 'chrome';
}

export function isBrowserId(value: string): value is BrowserId {
  return (BROWSERS as readonly string[]).includes(value);
}

export function isTargetOs(value: string): value is TargetOs {
  return (TARGET_OSES as readonly string[]).includes(value);
}

export interface LocationQuery {
  browser: BrowserId;
  os: TargetOs;
  /** Machine-wide (all users) instead of the current user. */
  system: boolean;
  /** The user's home directory, in the target OS's path syntax. */
  home: string;
  /** A Chromium profile directory given to the browser with `--user-data-dir`. */
  userDataDir?: string;
}

/** Registry key (under HKCU or HKLM) whose default value is the manifest's path. */
export interface RegistryTarget {
  hive: 'HKCU' | 'HKLM';
  key: string;
}

export type ManifestLocation = { kind: 'directories'; dirs: string[] } | { kind: 'registry'; keys: RegistryTarget[] };

const LINUX_USER: Record<BrowserId, string> = {
  chrome: '.config/google-chrome/NativeMessagingHosts',
  chromium: '.config/chromium/NativeMessagingHosts',
  edge: '.config/microsoft-edge/NativeMessagingHosts',
  brave: '.config/BraveSoftware/Brave-Browser/NativeMessagingHosts',
  firefox: '.mozilla/native-messaging-hosts',
};

const LINUX_SYSTEM: Record<BrowserId, string[]> = {
  chrome: ['/etc/opt/chrome/native-messaging-hosts'],
  chromium: ['/etc/chromium/native-messaging-hosts'],
  edge: ['/etc/opt/edge/native-messaging-hosts'],
  brave: ['/etc/opt/chrome/native-messaging-hosts'],
  // 64-bit Fedora/openSUSE builds of Firefox look in lib64.
  firefox: ['/usr/lib/mozilla/native-messaging-hosts', '/usr/lib64/mozilla/native-messaging-hosts'],
};

const DARWIN_USER: Record<BrowserId, string> = {
  chrome: 'Library/Application Support/Google/Chrome/NativeMessagingHosts',
  chromium: 'Library/Application Support/Chromium/NativeMessagingHosts',
  edge: 'Library/Application Support/Microsoft Edge/NativeMessagingHosts',
  brave: 'Library/Application Support/Google/Chrome/NativeMessagingHosts',
  firefox: 'Library/Application Support/Mozilla/NativeMessagingHosts',
};

const DARWIN_SYSTEM: Record<BrowserId, string> = {
  chrome: '/Library/Google/Chrome/NativeMessagingHosts',
  chromium: '/Library/Application Support/Chromium/NativeMessagingHosts',
  edge: '/Library/Microsoft/Edge/NativeMessagingHosts',
  brave: '/Library/Google/Chrome/NativeMessagingHosts',
  firefox: '/Library/Application Support/Mozilla/NativeMessagingHosts',
};

const WINDOWS_KEYS: Record<BrowserId, string> = {
  chrome: 'Software\\Google\\Chrome\\NativeMessagingHosts',
  chromium: 'Software\\Chromium\\NativeMessagingHosts',
  edge: 'Software\\Microsoft\\Edge\\NativeMessagingHosts',
  brave: 'Software\\Google\\Chrome\\NativeMessagingHosts',
  firefox: 'Software\\Mozilla\\NativeMessagingHosts',
};

export class LocationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LocationError';
  }
}

/** Where `browser` looks for the manifest of host `hostName`. */
export function manifestLocation(query: LocationQuery, hostName: string): ManifestLocation {
  const { browser, os, system, home, userDataDir } = query;
  if (userDataDir !== undefined) {
    if (browser === 'firefox')
      throw new LocationError('--user-data-dir is a Chromium option; Firefox profiles share ~/.mozilla');
    if (browser === 'brave') {
      throw new LocationError(
        'Brave reads native hosts only from its default profile directory, whatever --user-data-dir says; install without --user-data-dir',
      );
    }
    if (system) throw new LocationError('--user-data-dir and --system exclude each other');
    if (os === 'win32')
      throw new LocationError(
        'on Windows, Chromium finds native hosts through the registry only; --user-data-dir does not apply',
      );
    return { kind: 'directories', dirs: [posix.join(userDataDir, 'NativeMessagingHosts')] };
  }
  switch (os) {
    case 'linux':
      return { kind: 'directories', dirs: system ? LINUX_SYSTEM[browser] : [posix.join(home, LINUX_USER[browser])] };
    case 'darwin':
      return { kind: 'directories', dirs: [system ? DARWIN_SYSTEM[browser] : posix.join(home, DARWIN_USER[browser])] };
    case 'win32':
      return {
        kind: 'registry',
        keys: [{ hive: system ? 'HKLM' : 'HKCU', key: `${WINDOWS_KEYS[browser]}\\${hostName}` }],
      };
  }
}

/**
 * Where our own files (launcher, and on Windows the manifest and registry scripts) go. Per browser,
 * because each install bakes its own backend options into its launcher.
 */
export function installDirectory(query: LocationQuery): string {
  const { os, system, home, userDataDir, browser } = query;
  if (userDataDir !== undefined) return posix.join(userDataDir, 'NativeMessagingHosts');
  switch (os) {
    case 'linux':
      return system ? `/usr/local/lib/hpki-login/${browser}` : posix.join(home, '.local/share/hpki-login', browser);
    case 'darwin':
      return system
        ? `/Library/Application Support/hpki-login/${browser}`
        : posix.join(home, 'Library/Application Support/hpki-login', browser);
    case 'win32':
      return system
        ? win32.join('C:\\Program Files\\hpki-login', browser)
        : win32.join(home, 'AppData\\Local\\hpki-login', browser);
  }
}

/** The path module whose syntax the target OS uses. */
export function pathFor(os: TargetOs): typeof posix {
  return os === 'win32' ? win32 : posix;
}
