import { readdirSync, readFileSync } from 'node:fs';

/**
 * The native host processes a Chromium started, read from /proc: the browser process is the one
 * whose command line names its profile directory (and no `--type=`, which its helpers have), and
 * its hosts are its children running `hpki-login … host`. Other browsers and hosts on the machine
 * (other test runs) are not counted.
 */

interface ProcessInfo {
  ppid: number;
  args: string[];
}

function readProcess(pid: number): ProcessInfo | undefined {
  try {
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    // Field 4 of stat is the parent pid; the command name (field 2) may hold spaces, so split after ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return { ppid, args };
  } catch {
    return undefined; // gone meanwhile
  }
}

export function countHostProcesses(userDataDir: string): number {
  const processes = new Map<number, ProcessInfo>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const info = readProcess(Number(name));
    if (info !== undefined) processes.set(Number(name), info);
  }
  const browsers = new Set<number>();
  for (const [pid, info] of processes) {
    if (info.args.includes(`--user-data-dir=${userDataDir}`) && !info.args.some((a) => a.startsWith('--type=')))
      browsers.add(pid);
  }
  let hosts = 0;
  for (const info of processes.values()) {
    if (!browsers.has(info.ppid)) continue;
    const hostIndex = info.args.indexOf('host');
    if (hostIndex > 0 && info.args.slice(0, hostIndex).some((a) => a.endsWith('hpki-login.js'))) hosts++;
  }
  return hosts;
}
