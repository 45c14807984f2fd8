import type { Finding } from './findings.js';
import { finding } from './findings.js';

/** Checks of the installation: host manifests per browser, their launchers, the PKCS#11 module. */

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

/** What `manifests/extension-ids.json` says the manifests must allow. */
export interface ExpectedIds {
  chromeOrigins: string[];
  firefoxId: string;
}

export type Pkcs11Facts = { module: string; readers: number; cards: number } | { module: string; error: { code: string; message: string } };

const REINSTALL = (browser: string): { ja: string; en: string } => ({
  ja: `hpki-login install-host --browser ${browser} を実行し直してください。`,
  en: `Run hpki-login install-host --browser ${browser} again.`,
});

function checkLauncher(m: ManifestFacts, launcher: LauncherFacts): Finding[] {
  if (!launcher.exists) {
    return [finding('launcher.missing', 'error', { ja: `${m.path} が指す起動スクリプト ${launcher.path} がありません。`, en: `The launcher ${launcher.path} named by ${m.path} does not exist.` }, REINSTALL(m.browser))];
  }
  if (!launcher.executable) {
    return [
      finding(
        'launcher.not-executable',
        'error',
        { ja: `起動スクリプト ${launcher.path} に実行権限がありません。`, en: `The launcher ${launcher.path} is not executable.` },
        { ja: `chmod 755 '${launcher.path}' を実行するか、install-host をやり直してください。`, en: `Run chmod 755 '${launcher.path}', or install-host again.` },
      ),
    ];
  }
  const gone = launcher.runs.filter((r) => !r.exists);
  if (gone.length > 0) {
    const list = gone.map((r) => r.path).join(', ');
    return [finding('launcher.target-missing', 'error', { ja: `起動スクリプト ${launcher.path} が起動するファイルがありません: ${list}`, en: `The launcher ${launcher.path} starts files that no longer exist: ${list}` }, REINSTALL(m.browser))];
  }
  return [finding('launcher.ok', 'ok', { ja: `起動スクリプト ${launcher.path} は実行できます。`, en: `The launcher ${launcher.path} is executable.` })];
}

function checkAllowed(m: ManifestFacts, expected: ExpectedIds): Finding[] {
  if (m.flavor === 'firefox') {
    if (m.allowedExtensions?.includes(expected.firefoxId) === true) return [];
    return [
      finding('manifest.firefox-id', 'error', { ja: `${m.path} は拡張機能 ${expected.firefoxId} を許可していません。`, en: `${m.path} does not allow the extension ${expected.firefoxId}.` }, REINSTALL(m.browser)),
    ];
  }
  if (expected.chromeOrigins.length === 0) {
    return [
      finding(
        'ids.unset',
        'warning',
        { ja: 'manifests/extension-ids.json に Chrome 拡張機能 ID がありません。', en: 'manifests/extension-ids.json lists no Chrome extension id.' },
        { ja: '拡張機能 ID を登録したビルドを使ってください。', en: 'Use a build whose extension-ids.json has the extension ids.' },
      ),
    ];
  }
  const missing = expected.chromeOrigins.filter((o) => !(m.allowedOrigins ?? []).includes(o));
  if (missing.length === 0) return [];
  return [
    finding(
      'manifest.ids-missing',
      'warning',
      { ja: `${m.path} は次の拡張機能を許可していません: ${missing.join(', ')}`, en: `${m.path} does not allow: ${missing.join(', ')}` },
      REINSTALL(m.browser),
    ),
  ];
}

export function checkManifests(manifests: readonly ManifestFacts[], expected: ExpectedIds): Finding[] {
  const out: Finding[] = [];
  const browsers = [...new Set(manifests.map((m) => m.browser))];
  for (const browser of browsers) {
    const mine = manifests.filter((m) => m.browser === browser);
    if (mine.every((m) => m.state === 'missing')) {
      out.push(finding('manifest.missing', 'info', { ja: `${browser} 用のネイティブホストは未登録です。`, en: `The native host is not installed for ${browser}.` }, { ja: `${browser} を使う場合: hpki-login install-host --browser ${browser}`, en: `If you use ${browser}: hpki-login install-host --browser ${browser}` }));
      continue;
    }
    for (const m of mine) {
      if (m.state === 'missing') continue;
      if (m.state === 'invalid') {
        out.push(finding('manifest.invalid', 'error', { ja: `${m.path} はネイティブホストのマニフェストとして読めません。`, en: `${m.path} is not a readable native host manifest.` }, REINSTALL(browser)));
        continue;
      }
      if (m.name !== 'jp.hpkilogin.host') {
        out.push(finding('manifest.wrong-name', 'error', { ja: `${m.path} の name が jp.hpkilogin.host ではありません。`, en: `${m.path} does not name jp.hpkilogin.host.` }, REINSTALL(browser)));
        continue;
      }
      out.push(finding('manifest.present', 'ok', { ja: `${browser} のホスト登録: ${m.path}`, en: `${browser} host manifest: ${m.path}` }));
      out.push(...checkAllowed(m, expected));
      if (m.launcher !== undefined) out.push(...checkLauncher(m, m.launcher));
    }
  }
  if (manifests.length > 0 && manifests.every((m) => m.state === 'missing')) {
    out.push(
      finding(
        'manifest.none',
        'error',
        { ja: 'どのブラウザにもネイティブホストが登録されていません。拡張機能はカードを使えません。', en: 'The native host is not installed for any browser: the extension cannot reach the card.' },
        { ja: 'hpki-login install-host --browser <ブラウザ> を実行してください。', en: 'Run hpki-login install-host --browser <browser>.' },
      ),
    );
  }
  return out;
}

export function checkPkcs11(facts: Pkcs11Facts): Finding[] {
  if ('error' in facts) {
    return [
      finding(
        'pkcs11.error',
        'error',
        { ja: `PKCS#11 モジュール ${facts.module} を使えません (${facts.error.code}): ${facts.error.message}`, en: `The PKCS#11 module ${facts.module} cannot be used (${facts.error.code}): ${facts.error.message}` },
        { ja: 'モジュールのパスと、ベンダーのドライバーのインストールを確認してください。', en: "Check the module path and that the vendor's driver is installed." },
      ),
    ];
  }
  return [finding('pkcs11.ok', 'ok', { ja: `PKCS#11 モジュール ${facts.module}: スロット ${facts.readers}、カード ${facts.cards}`, en: `PKCS#11 module ${facts.module}: ${facts.readers} slots, ${facts.cards} cards` })];
}
