import { homedir } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseArgsUsageError, UsageError } from '../cli/usage-error.js';
import type { Trust } from './host-manifest.js';
import type { HostOptions } from './launcher.js';
import type { BrowserId, TargetOs } from './locations.js';
import { BROWSERS, isBrowserId, isTargetOs } from './locations.js';

/** The options shared by `install-host` and `uninstall-host`. */

export interface InstallOptions {
  /** Empty: every browser found on this machine. */
  browsers: BrowserId[];
  userDataDir?: string;
  system: boolean;
  /** `--development`: the manifests also let in the development build of the extension. */
  trust: Trust;
  host: HostOptions;
  os: TargetOs;
  home: string;
  root?: string;
  node: string;
  cli: string;
  /** Install even for a browser that only exists as a snap/flatpak. */
  force: boolean;
}

export { UsageError } from '../cli/usage-error.js';

export const INSTALL_USAGE = `usage: hpki-login install-host [--browser chrome|chromium|edge|brave|firefox]… [--user-data-dir DIR]
         [--system] [--development] [--backend pcsc|pkcs11|mock] [--card FILE] [--module LIB]
         [--os linux|darwin|win32] [--home DIR] [--root DIR] [--node FILE] [--cli FILE] [--force]
       hpki-login uninstall-host [same options]
`;

/** This package's `bin/hpki-login.js`: two levels up from both the source and the built chunk. */
function packageCli(): string {
  return fileURLToPath(new URL('../../bin/hpki-login.js', import.meta.url));
}

function platformOs(): TargetOs {
  const p = process.platform;
  return isTargetOs(p) ? p : 'linux';
}

export function parseInstallOptions(args: string[], cwd: string = process.cwd()): InstallOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        browser: { type: 'string', multiple: true },
        'user-data-dir': { type: 'string' },
        system: { type: 'boolean', default: false },
        development: { type: 'boolean', default: false },
        backend: { type: 'string', default: 'pcsc' },
        card: { type: 'string' },
        module: { type: 'string' },
        os: { type: 'string' },
        home: { type: 'string' },
        root: { type: 'string' },
        node: { type: 'string' },
        cli: { type: 'string' },
        force: { type: 'boolean', default: false },
      },
    });
  } catch (err) {
    throw parseArgsUsageError(err);
  }
  const v = parsed.values;
  const browsers = (v.browser ?? []).map((b) => {
    if (!isBrowserId(b))
      throw new UsageError(
        `unknown browser '${b}' (one of ${BROWSERS.join(', ')})`,
        `'${b}' というブラウザは扱えません（${BROWSERS.join(', ')} のいずれか）`,
      );
    return b;
  });
  const os = v.os ?? platformOs();
  if (!isTargetOs(os))
    throw new UsageError(
      `unknown OS '${os}' (linux, darwin or win32)`,
      `'${os}' という OS は扱えません（linux, darwin, win32）`,
    );
  if (os !== platformOs() && v.root === undefined)
    throw new UsageError(
      `--os ${os} on this machine needs --root DIR to write into`,
      `このマシンで --os ${os} を使うには、書き込み先の --root DIR が必要です`,
    );
  const backend = v.backend;
  if (backend !== 'pcsc' && backend !== 'pkcs11' && backend !== 'mock')
    throw new UsageError(`unknown backend '${backend}'`, `'${backend}' というバックエンドはありません`);
  if (backend === 'mock' && v.card === undefined)
    throw new UsageError('--backend mock needs --card FILE', '--backend mock には --card FILE が必要です');
  if (v.card !== undefined && backend !== 'mock')
    throw new UsageError('--card goes with --backend mock', '--card は --backend mock と一緒に使います');
  if (v.module !== undefined && backend !== 'pkcs11')
    throw new UsageError('--module goes with --backend pkcs11', '--module は --backend pkcs11 と一緒に使います');
  const host: HostOptions = { backend };
  // Relative paths would be resolved against the browser's working directory, which is not ours.
  if (v.card !== undefined) host.card = resolve(cwd, v.card);
  // A bare module name ("opensc-pkcs11.so") is left to the dynamic loader's search path.
  if (v.module !== undefined)
    host.module = v.module.includes('/') || v.module.includes('\\') ? resolve(cwd, v.module) : v.module;
  if (v['user-data-dir'] !== undefined && browsers.length !== 1)
    throw new UsageError(
      '--user-data-dir needs exactly one --browser',
      '--user-data-dir には --browser を一つだけ指定してください',
    );
  const options: InstallOptions = {
    browsers,
    system: v.system ?? false,
    trust: v.development === true ? 'development' : 'release',
    host,
    os,
    home: v.home ?? homedir(),
    node: v.node ?? process.execPath,
    cli: v.cli ?? packageCli(),
    force: v.force ?? false,
  };
  if (v['user-data-dir'] !== undefined) options.userDataDir = resolve(cwd, v['user-data-dir']);
  if (v.root !== undefined) options.root = resolve(cwd, v.root);
  if (os !== 'win32' && !isAbsolute(options.home)) options.home = resolve(cwd, options.home);
  return options;
}
