import { posix } from 'node:path';
import { NATIVE_HOST_NAME } from '../../protocol/messages.js';
import { applyInstall, applyUninstall, exists, localPath, removeEmptyDirs } from './apply.js';
import type { ExtensionIds } from './host-manifest.js';
import { chromeAllowedOrigins } from './host-manifest.js';
import type { BrowserId } from './locations.js';
import { BROWSERS, manifestFlavor, manifestLocation } from './locations.js';
import type { InstallOptions } from './options.js';
import { UsageError } from './options.js';
import type { InstallPlan } from './plan.js';
import { planInstall } from './plan.js';
import type { BrowserPresence } from './sandboxed-browsers.js';
import { judgeSandbox, presenceProbes } from './sandboxed-browsers.js';
import { systemRuntimeProblems, UnsafeRuntimeError } from './system-runtime.js';

/** `install-host` / `uninstall-host` for one or more browsers: detect, judge, plan, apply. */

async function existing(paths: string[]): Promise<string[]> {
  const found: string[] = [];
  for (const p of paths) if (await exists(p)) found.push(p);
  return found;
}

/** Looks on this machine (below --root, in --home) for the browser's native and confined installs. */
export async function gatherPresence(
  browser: BrowserId,
  options: Pick<InstallOptions, 'home' | 'root'>,
): Promise<BrowserPresence> {
  const probes = presenceProbes(browser);
  const inRoot = (p: string): string => localPath(p, 'linux', options.root);
  const inHome = (p: string): string => localPath(posix.join(options.home, p), 'linux', options.root);
  return {
    browser,
    native: await existing(probes.native.map(inRoot)),
    snap: await existing([...probes.snap.system.map(inRoot), ...probes.snap.home.map(inHome)]),
    flatpak: await existing([...probes.flatpak.system.map(inRoot), ...probes.flatpak.home.map(inHome)]),
  };
}

/**
 * Browsers that look installed (Linux and macOS): a binary, a snap/flatpak, or a profile directory
 * for this user. Not on Windows: installHost asks for --browser there.
 */
async function detectBrowsers(options: InstallOptions): Promise<BrowserId[]> {
  const found: BrowserId[] = [];
  for (const browser of BROWSERS) {
    if (options.os === 'linux') {
      const p = await gatherPresence(browser, options);
      if (p.native.length + p.snap.length + p.flatpak.length > 0) {
        found.push(browser);
        continue;
      }
    }
    const user = manifestLocation({ browser, os: options.os, system: false, home: options.home }, NATIVE_HOST_NAME);
    const profileDirs =
      user.kind === 'directories' ? user.dirs.map((d) => localPath(posix.dirname(d), options.os, options.root)) : [];
    if ((await existing(profileDirs)).length > 0) found.push(browser);
  }
  return found;
}

function planFor(browser: BrowserId, options: InstallOptions, ids: ExtensionIds): InstallPlan {
  const request = {
    browser,
    os: options.os,
    system: options.system,
    trust: options.trust,
    home: options.home,
    host: options.host,
    runtime: { node: options.node, cli: options.cli },
    ids,
    ...(options.userDataDir === undefined ? {} : { userDataDir: options.userDataDir }),
  };
  try {
    return planInstall(request);
  } catch (err) {
    throw new UsageError(
      err instanceof Error ? err.message : String(err),
      'この組み合わせではインストールできません（--browser, --os, --root, --system を確かめてください）',
    );
  }
}

export interface InstallOutcome {
  /** Local paths written, per browser. */
  written: Partial<Record<BrowserId, string[]>>;
  /** Browsers skipped because only a confined (snap/flatpak) build exists. */
  refused: BrowserId[];
}

export async function installHost(
  options: InstallOptions,
  ids: ExtensionIds,
  log: (line: string) => void,
): Promise<InstallOutcome> {
  // Windows keeps no trace of a browser that install-host could read here (its installs go through
  // the registry), so there it is told which; the MSI registers the host for every browser itself.
  if (options.browsers.length === 0 && options.os === 'win32')
    throw new UsageError(
      'on Windows, name each browser with --browser (the MSI already sets up every browser)',
      'Windows では --browser でブラウザを指定してください（MSI でインストールした場合は全ブラウザ設定済みです）',
    );
  const browsers = options.browsers.length > 0 ? options.browsers : await detectBrowsers(options);
  if (browsers.length === 0)
    throw new UsageError(
      'no browser found on this machine; name one with --browser',
      'このマシンにブラウザが見つかりません。--browser で指定してください',
    );
  // Every plan first: a wrong combination of options is a usage error wherever the checkout sits.
  const plans = browsers.map((browser) => ({ browser, plan: planFor(browser, options, ids) }));
  // Windows has ACLs, not owners and mode bits: Program Files is left to the installer that put it there.
  if (options.system && options.os !== 'win32') {
    // A PKCS#11 module is code the host loads; a bare library name is left to the loader's search path.
    const extra = [options.host.module, options.host.card].filter((f): f is string => f?.startsWith('/') === true);
    const problems = await systemRuntimeProblems([options.node, options.cli, ...extra], options.root);
    if (problems.length > 0) throw new UnsafeRuntimeError(problems);
  }
  const outcome: InstallOutcome = { written: {}, refused: [] };
  if (browsers.some((b) => manifestFlavor(b) === 'chrome') && chromeAllowedOrigins(ids, options.trust).length === 0) {
    log(
      'warning: manifests/extension-ids.json に公開済みの Chrome 拡張機能 ID がありません。拡張機能は接続できません (開発版には --development)。 / lists no published Chrome extension id: no extension can connect until it does (the development build needs --development)',
    );
  }
  if (options.trust === 'development') {
    log(
      'warning: --development: 鍵が公開されている開発版の拡張機能も許可します。開発用の環境でのみ使ってください。 / --development also lets in the development build, whose key is public: for development machines only',
    );
  }
  for (const { browser, plan } of plans) {
    // An explicit profile directory is the user's own choice of where the browser reads.
    if (options.os === 'linux' && options.userDataDir === undefined) {
      const verdict = judgeSandbox(await gatherPresence(browser, options));
      for (const line of verdict.lines) log(line);
      if (!verdict.proceed && !options.force) {
        outcome.refused.push(browser);
        continue;
      }
    }
    outcome.written[browser] = await applyInstall(plan, {
      log,
      ...(options.root === undefined ? {} : { root: options.root }),
    });
  }
  return outcome;
}

export async function uninstallHost(
  options: InstallOptions,
  ids: ExtensionIds,
  log: (line: string) => void,
): Promise<string[]> {
  const browsers = options.browsers.length > 0 ? options.browsers : [...BROWSERS];
  const removed: string[] = [];
  const createdDirs: string[] = [];
  for (const browser of browsers) {
    let plan: InstallPlan;
    try {
      plan = planFor(browser, options, ids);
    } catch (err) {
      // Without --browser, combinations that cannot exist (Brave with --user-data-dir) are skipped.
      if (options.browsers.length === 0) continue;
      throw err;
    }
    const result = await applyUninstall(plan, { log, ...(options.root === undefined ? {} : { root: options.root }) });
    removed.push(...result.removed);
    createdDirs.push(...result.createdDirs);
  }
  // Browsers share parents (~/.local/share/hpki-login): directories go once every file is gone.
  removed.push(...(await removeEmptyDirs(createdDirs, log)));
  return removed;
}
