import type { Finding } from '../../native-host/doctor/findings.js';
import { finding } from '../../native-host/doctor/findings.js';
import { text } from '../../native-host/doctor/texts.js';

/**
 * `hpki-login doctor`'s checks of the installation: host manifests per browser, their launchers, the
 * PKCS#11 module. Beside the install code that writes what they judge; manifest-facts.ts gathers the facts.
 */

export interface LauncherFacts {
  path: string;
  exists: boolean;
  executable: boolean;
  /** Files the launcher starts (runtime, CLI) and whether each exists; empty when it is not ours. */
  runs: { path: string; exists: boolean }[];
}

export interface ManifestFacts {
  browser: string;
  /** user, system, or a profile given with --user-data-dir. */
  scope: 'user' | 'system' | 'profile';
  path: string;
  flavor: 'chrome' | 'firefox';
  state: 'missing' | 'invalid' | 'present';
  name?: string;
  allowedOrigins?: string[];
  allowedExtensions?: string[];
  launcher?: LauncherFacts;
}

/** What `manifests/extension-ids.json` says the manifests must allow, and must not. */
export interface ExpectedIds {
  /** The published Chrome-family builds' origins (`chrome-extension://<id>/`). */
  chromeOrigins: string[];
  /** The release build's gecko id. */
  firefoxId: string;
  /** The development builds' origin and gecko id: their key is public, so only `--development` lets them in. */
  development: string[];
}

export type Pkcs11Facts =
  | { module: string; readers: number; cards: number }
  | { module: string; error: { code: string; message: string } };

function checkLauncher(m: ManifestFacts, launcher: LauncherFacts): Finding[] {
  const reinstall = text('fix.reinstall-host', { browser: m.browser });
  if (!launcher.exists)
    return [
      finding(
        'launcher.missing',
        'error',
        text('launcher.missing', { manifest: m.path, launcher: launcher.path }),
        reinstall,
      ),
    ];
  if (!launcher.executable) {
    return [
      finding(
        'launcher.not-executable',
        'error',
        text('launcher.not-executable', { launcher: launcher.path }),
        text('fix.chmod-launcher', { launcher: launcher.path }),
      ),
    ];
  }
  const gone = launcher.runs.filter((r) => !r.exists);
  if (gone.length > 0) {
    const files = gone.map((r) => r.path).join(', ');
    return [
      finding(
        'launcher.target-missing',
        'error',
        text('launcher.target-missing', { launcher: launcher.path, files }),
        reinstall,
      ),
    ];
  }
  return [finding('launcher.ok', 'ok', text('launcher.ok', { launcher: launcher.path }))];
}

function checkAllowed(m: ManifestFacts, expected: ExpectedIds): Finding[] {
  const reinstall = text('fix.reinstall-host', { browser: m.browser });
  if (m.flavor === 'firefox') {
    if (m.allowedExtensions?.includes(expected.firefoxId) === true) return [];
    return [
      finding(
        'manifest.firefox-id',
        'error',
        text('manifest.firefox-id', { path: m.path, id: expected.firefoxId }),
        reinstall,
      ),
    ];
  }
  if (expected.chromeOrigins.length === 0)
    return [finding('ids.unset', 'warning', text('ids.unset'), text('fix.use-build-with-ids'))];
  const missing = expected.chromeOrigins.filter((o) => !(m.allowedOrigins ?? []).includes(o));
  if (missing.length === 0) return [];
  return [
    finding(
      'manifest.ids-missing',
      'warning',
      text('manifest.ids-missing', { path: m.path, missing: missing.join(', ') }),
      reinstall,
    ),
  ];
}

export function checkManifests(manifests: readonly ManifestFacts[], expected: ExpectedIds): Finding[] {
  const out: Finding[] = [];
  const browsers = [...new Set(manifests.map((m) => m.browser))];
  for (const browser of browsers) {
    const mine = manifests.filter((m) => m.browser === browser);
    if (mine.every((m) => m.state === 'missing')) {
      out.push(
        finding(
          'manifest.missing',
          'info',
          text('manifest.missing', { browser }),
          text('fix.install-host-for-browser', { browser }),
        ),
      );
      continue;
    }
    const reinstall = text('fix.reinstall-host', { browser });
    for (const m of mine) {
      const { path } = m;
      if (m.state === 'missing') continue;
      if (m.state === 'invalid') {
        out.push(finding('manifest.invalid', 'error', text('manifest.invalid', { path }), reinstall));
        continue;
      }
      if (m.name !== 'jp.hpkilogin.host') {
        out.push(finding('manifest.wrong-name', 'error', text('manifest.wrong-name', { path }), reinstall));
        continue;
      }
      out.push(finding('manifest.present', 'ok', text('manifest.present', { browser, path })));
      out.push(...checkAllowed(m, expected));
      if (m.launcher !== undefined) out.push(...checkLauncher(m, m.launcher));
    }
  }
  if (manifests.length > 0 && manifests.every((m) => m.state === 'missing')) {
    out.push(finding('manifest.none', 'error', text('manifest.none'), text('fix.install-host')));
  }
  return out;
}

/** `chrome-extension://<id>` with or without the slash, compared as the id; gecko ids as they are. */
function sameExtension(allowed: string, id: string): boolean {
  const strip = (v: string): string => v.replace(/\/$/, '');
  return strip(allowed) === strip(id);
}

/** The command that rewrites this manifest without the development build. */
function reinstallCommand(m: ManifestFacts): string {
  if (m.scope === 'system') return `sudo hpki-login install-host --system --browser ${m.browser}`;
  if (m.scope === 'profile') {
    const profile = m.path.replace(/[\\/]NativeMessagingHosts[\\/][^\\/]+$/, '');
    return `hpki-login install-host --browser ${m.browser} --user-data-dir '${profile}'`;
  }
  return `hpki-login install-host --browser ${m.browser}`;
}

/**
 * A warning for every manifest that lets in a development build. Its key is committed to the
 * repository, so any unpacked extension can carry that id and have the card sign for a site of its
 * choosing: only a development machine may trust it.
 */
export function checkDevelopmentTrust(manifests: readonly ManifestFacts[], expected: ExpectedIds): Finding[] {
  const out: Finding[] = [];
  const seen = new Set<string>();
  for (const m of manifests) {
    if (m.state !== 'present' || seen.has(m.path)) continue;
    seen.add(m.path);
    const allowed = [...(m.allowedOrigins ?? []), ...(m.allowedExtensions ?? [])];
    const ids = expected.development.filter((id) => allowed.some((a) => sameExtension(a, id)));
    if (ids.length === 0) continue;
    const command = reinstallCommand(m);
    out.push(
      finding(
        'manifest.development-id',
        'warning',
        text('manifest.development-id', { path: m.path, ids: ids.join(', ') }),
        m.scope === 'system'
          ? text('fix.untrust-development.system', { command })
          : text('fix.untrust-development', { command }),
      ),
    );
  }
  return out;
}

export function checkPkcs11(facts: Pkcs11Facts): Finding[] {
  const { module } = facts;
  if ('error' in facts) {
    const { code, message } = facts.error;
    return [
      finding(
        'pkcs11.error',
        'error',
        text('pkcs11.error', { module, code, message }),
        text('fix.check-pkcs11-module'),
      ),
    ];
  }
  return [finding('pkcs11.ok', 'ok', text('pkcs11.ok', { module, slots: facts.readers, cards: facts.cards }))];
}
