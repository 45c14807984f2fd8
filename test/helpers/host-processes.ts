import { readdirSync, readFileSync } from 'node:fs';

/**
 * The native host processes a browser started, read from /proc: a Chromium's browser process is
 * the one whose command line names its profile directory (and no `--type=`, which its helpers
 * have); a Firefox's is the one puppeteer started. Its hosts are the processes under it running
 * `hpki-login … host`. Other browsers and hosts on the machine (other test runs) are not counted.
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

function processTable(): Map<number, ProcessInfo> {
  const processes = new Map<number, ProcessInfo>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const info = readProcess(Number(name));
    if (info !== undefined) processes.set(Number(name), info);
  }
  return processes;
}

function isHost(info: ProcessInfo): boolean {
  const hostIndex = info.args.indexOf('host');
  return hostIndex > 0 && info.args.slice(0, hostIndex).some((a) => a.endsWith('hpki-login.js'));
}

function chromiumBrowsers(processes: Map<number, ProcessInfo>, userDataDir: string): Set<number> {
  const browsers = new Set<number>();
  for (const [pid, info] of processes) {
    if (info.args.includes(`--user-data-dir=${userDataDir}`) && !info.args.some((a) => a.startsWith('--type=')))
      browsers.add(pid);
  }
  return browsers;
}

export function countHostProcesses(userDataDir: string): number {
  const processes = processTable();
  const browsers = chromiumBrowsers(processes, userDataDir);
  return [...processes.values()].filter((info) => browsers.has(info.ppid) && isHost(info)).length;
}

/** The hosts anywhere under the given browser processes. */
function hostsUnder(processes: Map<number, ProcessInfo>, roots: Set<number>): number[] {
  const under = (pid: number): boolean => {
    for (let p = processes.get(pid)?.ppid, hops = 0; p !== undefined && p > 1 && hops < 16; hops++) {
      if (roots.has(p)) return true;
      p = processes.get(p)?.ppid;
    }
    return false;
  };
  return [...processes].filter(([pid, info]) => isHost(info) && under(pid)).map(([pid]) => pid);
}

export function chromiumHostPids(userDataDir: string): number[] {
  const processes = processTable();
  return hostsUnder(processes, chromiumBrowsers(processes, userDataDir));
}

export function hostPidsUnder(browserPid: number): number[] {
  return hostsUnder(processTable(), new Set([browserPid]));
}
