import type { BrowserId } from './locations.js';

/**
 * Snap and Flatpak browsers run confined: a manifest in the usual place is either not read or
 * names a launcher the sandbox may not execute. We detect them and explain instead of writing
 * files that would silently do nothing. Paths are relative to the filesystem root / the home.
 */

interface BrowserPackaging {
  /** Binaries of ordinary (unconfined) installs. Ubuntu's /usr/bin/chromium-browser and /usr/bin/firefox are snap shims, so they are not listed. */
  native: string[];
  snap?: string;
  flatpak: string;
}

export const BROWSER_PACKAGING: Record<BrowserId, BrowserPackaging> = {
  chrome: {
    native: ['/opt/google/chrome/chrome', '/usr/bin/google-chrome-stable', '/usr/bin/google-chrome'],
    flatpak: 'com.google.Chrome',
  },
  chromium: {
    native: [
      '/usr/lib/chromium/chromium',
      '/usr/lib64/chromium-browser/chromium-browser',
      '/usr/lib/chromium-browser/chromium-browser',
      '/usr/bin/chromium',
    ],
    snap: 'chromium',
    flatpak: 'org.chromium.Chromium',
  },
  edge: { native: ['/opt/microsoft/msedge/msedge', '/usr/bin/microsoft-edge'], flatpak: 'com.microsoft.Edge' },
  brave: {
    native: ['/opt/brave.com/brave/brave', '/usr/bin/brave-browser'],
    snap: 'brave',
    flatpak: 'com.brave.Browser',
  },
  firefox: {
    native: [
      '/usr/lib/firefox/firefox',
      '/usr/lib64/firefox/firefox',
      '/usr/lib/firefox-esr/firefox-esr',
      '/opt/firefox/firefox',
    ],
    snap: 'firefox',
    flatpak: 'org.mozilla.firefox',
  },
};

/** What was found on this machine for one browser (gathered by the command, judged here). */
export interface BrowserPresence {
  browser: BrowserId;
  /** Native binaries found. */
  native: string[];
  /** Snap evidence found (`/snap/bin/x`, `~/snap/x`). */
  snap: string[];
  /** Flatpak evidence found (`~/.var/app/id`, `/var/lib/flatpak/app/id`). */
  flatpak: string[];
}

/** The paths to probe for one browser: relative to the root (`system`) or to the home (`home`). */
export function presenceProbes(browser: BrowserId): {
  native: string[];
  snap: { system: string[]; home: string[] };
  flatpak: { system: string[]; home: string[] };
} {
  const p = BROWSER_PACKAGING[browser];
  return {
    native: p.native,
    snap:
      p.snap === undefined ? { system: [], home: [] } : { system: [`/snap/bin/${p.snap}`], home: [`snap/${p.snap}`] },
    flatpak: { system: [`/var/lib/flatpak/app/${p.flatpak}`], home: [`.var/app/${p.flatpak}`] },
  };
}

export interface SandboxVerdict {
  /** false: writing the manifest would not help; `lines` say why and what to do. */
  proceed: boolean;
  lines: string[];
}

const FIREFOX_SNAP =
  'Firefox (snap) は WebExtensions portal (xdg-desktop-portal 1.16+) 経由でネイティブホストを起動します。動かない場合は Mozilla の .deb 版 Firefox を使ってください。 / ' +
  "Snap Firefox starts native hosts through the WebExtensions portal (xdg-desktop-portal 1.16 or later); if the extension reports ERR_HPKI_NATIVE_UNAVAILABLE, use Firefox from Mozilla's .deb.";

function confinedLine(browser: BrowserId, kind: 'snap' | 'flatpak', where: string[]): string {
  const found = where.join(', ');
  return (
    `${browser} (${kind}: ${found}) はサンドボックス内で動くため、外部のネイティブホストを起動できません。${kind === 'snap' ? 'snap 版ではなく' : 'Flatpak 版ではなく'}ディストリビューションのパッケージ版 (.deb/.rpm) をインストールしてください。 / ` +
    `The ${kind} ${browser} (${found}) runs confined and cannot start native messaging hosts installed outside its sandbox. ` +
    `Install the browser from a distribution package (.deb/.rpm) instead, then run install-host again.`
  );
}

/** Decides whether installing for `presence.browser` can work, and what to tell the user. */
export function judgeSandbox(presence: BrowserPresence): SandboxVerdict {
  const { browser, native, snap, flatpak } = presence;
  const lines: string[] = [];
  if (browser === 'firefox' && snap.length > 0) lines.push(`note: ${FIREFOX_SNAP}`);
  else if (snap.length > 0)
    lines.push(`${native.length > 0 ? 'note' : 'error'}: ${confinedLine(browser, 'snap', snap)}`);
  const usable = native.length > 0 || (browser === 'firefox' && snap.length > 0);
  if (flatpak.length > 0) lines.push(`${usable ? 'note' : 'error'}: ${confinedLine(browser, 'flatpak', flatpak)}`);
  const confinedOnly = !usable && snap.length + flatpak.length > 0;
  return { proceed: !confinedOnly, lines };
}
