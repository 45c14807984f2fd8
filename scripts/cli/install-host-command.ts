import { bundledExtensionIds } from '../install/host-manifest.js';
import { installHost } from '../install/install-host.js';
import { INSTALL_USAGE, parseInstallOptions, UsageError } from '../install/options.js';
import { UnsafeRuntimeError } from '../install/system-runtime.js';
import { usageErrorLineOf } from './usage-error.js';

/**
 * `hpki-login install-host`: writes the native host manifest and launcher where the browser looks.
 * Exit 0 when every requested browser got its files, 1 when one was refused (confined browser) or
 * when `--system` would run files that are not root's alone (nothing is written then), 2 on a usage
 * error.
 */
export async function run(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(INSTALL_USAGE);
    return 0;
  }
  try {
    const options = parseInstallOptions(args);
    const outcome = await installHost(options, bundledExtensionIds(), (line) => process.stdout.write(`${line}\n`));
    return outcome.refused.length > 0 ? 1 : 0;
  } catch (err) {
    if (err instanceof UnsafeRuntimeError) {
      process.stderr.write(`hpki-login install-host: ${err.message}\n`);
      return 1;
    }
    if (err instanceof UsageError) {
      process.stderr.write(usageErrorLineOf('install-host', err));
      return 2;
    }
    throw err;
  }
}
