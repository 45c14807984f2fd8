import { bundledExtensionIds } from '../install/host-manifest.js';
import { uninstallHost } from '../install/install-host.js';
import { INSTALL_USAGE, parseInstallOptions, UsageError } from '../install/options.js';
import { usageErrorLineOf } from './usage-error.js';

/**
 * `hpki-login uninstall-host`: removes what `install-host` wrote with the same options, and only
 * files that are still ours. Exit 0 (also when there was nothing to remove), 2 on a usage error.
 */
export async function run(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(INSTALL_USAGE);
    return 0;
  }
  try {
    const options = parseInstallOptions(args);
    const removed = await uninstallHost(options, bundledExtensionIds(), (line) => process.stdout.write(`${line}\n`));
    if (removed.length === 0) process.stdout.write('nothing to remove\n');
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(usageErrorLineOf('uninstall-host', err));
      return 2;
    }
    throw err;
  }
}
