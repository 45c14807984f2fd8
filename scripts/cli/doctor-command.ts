import { homedir } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { CardBackend } from '../../native-host/card/card-token.js';
import { checkCard, checkPcscd, checkReaders } from '../../native-host/doctor/card-checks.js';
import type { Finding } from '../../native-host/doctor/findings.js';
import { hasErrors } from '../../native-host/doctor/findings.js';
import { gatherCard, gatherPcscd, gatherReaders } from '../../native-host/doctor/gather-card.js';
import { formatJson, formatText } from '../../native-host/doctor/report.js';
import { checkRuntime } from '../../native-host/doctor/runtime-checks.js';
import { toHpkiError } from '../../protocol/errors.js';
import { bundledExtensionIds } from '../install/host-manifest.js';
import type { ManifestFacts, Pkcs11Facts } from '../install/install-checks.js';
import { checkDevelopmentTrust, checkManifests, checkPkcs11 } from '../install/install-checks.js';
import type { BrowserId, TargetOs } from '../install/locations.js';
import { isBrowserId, isTargetOs } from '../install/locations.js';
import { expectedIds, gatherManifestFacts, launcherBackend, launcherModule } from '../install/manifest-facts.js';
import { checkUserHostsPolicy, gatherUserHostsPolicy } from '../install/user-hosts-policy.js';
import { parseArgsUsageError, UsageError, usageErrorLineOf } from './usage-error.js';

/**
 * `hpki-login doctor`: checks pcscd, readers, the card and its certificate, the host manifests and
 * launchers, and any PKCS#11 module; one line per finding in Japanese and English, or `--json`.
 * Exit 0 when nothing is an error, 1 otherwise, 2 on a usage error.
 */

const USAGE = `usage: hpki-login doctor [--json] [--backend pcsc|pkcs11|none] [--module LIB]… [--browser B]…
         [--user-data-dir DIR] [--home DIR] [--root DIR] [--os linux|darwin|win32]
  --backend  the card path to check (default: the installed host's; pcsc when none is installed)
`;

export interface DoctorOptions {
  /** 'installed': the backend the installed launchers use (pcscd is judged only when one uses pcsc). */
  backend: 'pcsc' | 'pkcs11' | 'none' | 'installed';
  modules: string[];
  browsers?: BrowserId[];
  userDataDir?: string;
  os: TargetOs;
  home: string;
  root?: string;
  now: Date;
}

async function pkcs11Facts(module: string): Promise<Pkcs11Facts> {
  const { createPkcs11Backend } = await import('../../native-host/pkcs11/index.js');
  const backend = createPkcs11Backend({ module });
  try {
    const readers = await backend.listReaders();
    return { module, readers: readers.length, cards: readers.filter((r) => r.cardPresent).length };
  } catch (err) {
    const e = toHpkiError(err);
    return { module, error: { code: e.code, message: e.message } };
  } finally {
    await backend.close().catch(() => undefined);
  }
}

async function cardBackend(options: DoctorOptions): Promise<CardBackend | undefined> {
  if (options.backend === 'pcsc')
    return (await import('../../native-host/backends/pcsc/backend.js')).createPcscBackend({ busyTimeoutMs: 3_000 });
  const module = options.modules[0];
  if (options.backend === 'pkcs11' && module !== undefined)
    return (await import('../../native-host/pkcs11/index.js')).createPkcs11Backend({ module });
  return undefined;
}

/**
 * The backend the installed host uses: pcsc unless every installed launcher names another one (a
 * PKCS#11 setup does not need pcscd, and its module is checked with the launchers below).
 */
async function installedBackend(manifests: ManifestFacts[], options: DoctorOptions): Promise<'pcsc' | 'none'> {
  const launchers = manifests.flatMap((m) => (m.launcher === undefined ? [] : [m.launcher.path]));
  if (launchers.length === 0) return 'pcsc';
  for (const path of launchers) if ((await launcherBackend(path, options.os, options.root)) === 'pcsc') return 'pcsc';
  return 'none';
}

function manifestQuery(options: DoctorOptions): Parameters<typeof gatherManifestFacts>[0] {
  return {
    os: options.os,
    home: options.home,
    ...(options.root === undefined ? {} : { root: options.root }),
    ...(options.browsers === undefined ? {} : { browsers: options.browsers }),
    ...(options.userDataDir === undefined ? {} : { userDataDir: options.userDataDir }),
  };
}

/** Gathers every fact and runs every check; in the order a user would fix things. */
export async function collectFindings(given: DoctorOptions): Promise<Finding[]> {
  const findings: Finding[] = [];
  const manifests = await gatherManifestFacts(manifestQuery(given));
  const options: DoctorOptions =
    given.backend === 'installed' ? { ...given, backend: await installedBackend(manifests, given) } : given;
  let cardPathOpen = true;
  if (options.backend === 'pcsc' && options.os === 'linux') {
    const pcscd = checkPcscd(await gatherPcscd());
    findings.push(...pcscd);
    // Without pcscd every reader check would only repeat the same error.
    cardPathOpen = !hasErrors(pcscd);
  }
  const backend = cardPathOpen ? await cardBackend(options) : undefined;
  if (backend !== undefined) {
    try {
      const readers = await gatherReaders(backend);
      findings.push(...checkReaders(readers, options.os));
      findings.push(...checkCard(readers, await gatherCard(backend, readers), options.now));
    } finally {
      await backend.close().catch(() => undefined);
    }
  }
  const expected = expectedIds(bundledExtensionIds());
  findings.push(...checkManifests(manifests, expected));
  // Every manifest on the machine, whatever --browser or --user-data-dir narrowed the rest to.
  const everywhere =
    options.browsers === undefined && options.userDataDir === undefined
      ? manifests
      : [
          ...manifests,
          ...(await gatherManifestFacts({
            os: options.os,
            home: options.home,
            ...(options.root === undefined ? {} : { root: options.root }),
          })),
        ];
  findings.push(...checkDevelopmentTrust(everywhere, expected));
  findings.push(...checkUserHostsPolicy(await gatherUserHostsPolicy(options.os, options.root), everywhere));
  const modules = new Set(options.modules);
  for (const m of manifests) {
    if (m.launcher === undefined) continue;
    const module = await launcherModule(m.launcher.path, options.os, options.root);
    if (module !== undefined) modules.add(module);
  }
  for (const module of modules) findings.push(...checkPkcs11(await pkcs11Facts(module)));
  // Last, with the installation: the runtime that runs this very command (the .deb's own Node, or a checkout's).
  findings.push(...checkRuntime({ version: process.versions.node, path: process.execPath }, options.now));
  return findings;
}

function parse(args: string[]): { options: DoctorOptions; json: boolean } | UsageError {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        json: { type: 'boolean', default: false },
        backend: { type: 'string', default: 'installed' },
        module: { type: 'string', multiple: true },
        browser: { type: 'string', multiple: true },
        'user-data-dir': { type: 'string' },
        home: { type: 'string' },
        root: { type: 'string' },
        os: { type: 'string' },
      },
    });
  } catch (err) {
    return parseArgsUsageError(err);
  }
  const v = parsed.values;
  const backend = v.backend;
  if (backend !== 'pcsc' && backend !== 'pkcs11' && backend !== 'none' && backend !== 'installed')
    return new UsageError(
      `unknown backend '${backend}' (pcsc, pkcs11, none or installed)`,
      `'${backend}' というバックエンドはありません（pcsc, pkcs11, none, installed）`,
    );
  if (backend === 'pkcs11' && (v.module ?? []).length === 0)
    return new UsageError('--backend pkcs11 needs --module LIB', '--backend pkcs11 には --module LIB が必要です');
  const os = v.os ?? process.platform;
  if (!isTargetOs(os))
    return new UsageError(
      `unknown OS '${os}' (linux, darwin or win32)`,
      `'${os}' という OS は扱えません（linux, darwin, win32）`,
    );
  const browsers: BrowserId[] = [];
  for (const b of v.browser ?? []) {
    if (!isBrowserId(b)) return new UsageError(`unknown browser '${b}'`, `'${b}' というブラウザは扱えません`);
    browsers.push(b);
  }
  const options: DoctorOptions = { backend, modules: v.module ?? [], os, home: v.home ?? homedir(), now: new Date() };
  if (browsers.length > 0) options.browsers = browsers;
  if (v['user-data-dir'] !== undefined) options.userDataDir = resolve(v['user-data-dir']);
  if (v.root !== undefined) options.root = resolve(v.root);
  return { options, json: v.json ?? false };
}

export async function run(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  const parsed = parse(args);
  if (parsed instanceof UsageError) {
    process.stderr.write(usageErrorLineOf('doctor', parsed));
    return 2;
  }
  const findings = await collectFindings(parsed.options);
  process.stdout.write(parsed.json ? formatJson(findings) : formatText(findings));
  return hasErrors(findings) ? 1 : 0;
}
