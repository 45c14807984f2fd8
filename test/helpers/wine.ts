import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A throwaway 64-bit Wine prefix for installer tests: `wine` runs with WINEPREFIX set to it (created
 * on first use), without the Mono and Gecko prompts and without debug chatter. `root` is an empty
 * temporary folder: the prefix is `root/prefix`, and HOME is `root/home`, because Wine links the
 * Windows user's Documents, Desktop… to HOME's folders. `stop` ends that prefix's wineserver only.
 */
export class WinePrefix {
  readonly dir: string;
  private readonly home: string;

  constructor(readonly root: string) {
    this.dir = join(root, 'prefix');
    this.home = join(root, 'home');
    mkdirSync(this.home, { recursive: true });
  }

  env(): NodeJS.ProcessEnv {
    return {
      ...process.env,
      HOME: this.home,
      WINEPREFIX: this.dir,
      WINEARCH: 'win64',
      WINEDEBUG: '-all',
      WINEDLLOVERRIDES: 'mscoree,mshtml=',
    };
  }

  /** Runs `wine ARGS…`; the exit status and output. */
  run(args: string[], timeout = 180_000): { status: number | null; output: string } {
    const result = spawnSync('wine', args, { env: this.env(), encoding: 'utf8', timeout, maxBuffer: 16 * 1024 * 1024 });
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
  }

  /**
   * `wine reg query` of each `HKLM\<key>`, all in one `cmd /c` (every Wine start costs seconds): for
   * each key, undefined when it is not there, else its default value ('' when it has none).
   */
  regQuery(keys: readonly string[], hive: 'HKLM' | 'HKCU' = 'HKLM'): Map<string, string | undefined> {
    for (const key of keys) if (!/^[A-Za-z0-9._\\-]+$/.test(key)) throw new RangeError(`unusual key: ${key}`);
    const commands = keys.map((key, i) => `echo @@${i}& reg query ${hive}\\${key} /ve 2>&1`);
    const { output } = this.run(['cmd', '/c', commands.join(' & ')]);
    const sections = output.split(/@@(\d+)\r?\n/);
    const found = new Map<string, string | undefined>(keys.map((k) => [k, undefined]));
    for (let i = 1; i + 1 < sections.length; i += 2) {
      const key = keys[Number(sections[i])];
      const text = sections[i + 1] ?? '';
      if (key === undefined || !text.includes('HKEY_')) continue;
      const line = text.split(/\r?\n/).find((l) => l.includes('REG_SZ'));
      found.set(key, line?.split('REG_SZ')[1]?.trim() ?? '');
    }
    return found;
  }

  /** The Unix path of a `C:\…` path inside the prefix. */
  unixPath(windowsPath: string): string {
    const match = /^[Cc]:\\(.*)$/.exec(windowsPath);
    if (match === null || match[1] === undefined) throw new Error(`not a C: path: ${windowsPath}`);
    return join(this.dir, 'drive_c', ...match[1].split('\\'));
  }

  /** Every file and folder below drive_c, relative, sorted: to compare before and after. */
  driveContents(): string[] {
    // find, not a recursive readdir: the user folders are symbolic links into HOME, not to be followed.
    const out = execFileSync('find', ['.', '-mindepth', '1'], { cwd: join(this.dir, 'drive_c'), encoding: 'utf8' });
    return out
      .split('\n')
      .filter((l) => l !== '')
      .sort();
  }

  /** Ends this prefix's wineserver, if one still runs. */
  stop(): void {
    spawnSync('wineserver', ['-k'], { env: this.env(), stdio: 'ignore' });
  }
}
