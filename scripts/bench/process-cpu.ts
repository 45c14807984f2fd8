import { readFileSync } from 'node:fs';

/**
 * CPU time (user + system) a process has used so far, from Linux's /proc/<pid>/stat, in ms. Server
 * time measured this way holds on a busy machine, where wall-clock latencies mostly measure the
 * queue for the cores. Undefined where /proc is not there.
 */
export function processCpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Fields after the command name (which may hold spaces) in parentheses; utime and stime are 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return Number.isFinite(ticks) ? (ticks * 1000) / CLOCK_TICKS_PER_SECOND : undefined;
}

/** USER_HZ: 100 on every Linux architecture Node supports. */
const CLOCK_TICKS_PER_SECOND = 100;

/** CPU time the processes use while `run` runs, in ms (undefined where it cannot be read). */
export async function cpuDuring(
  pids: readonly (number | undefined)[],
  run: () => Promise<void>,
): Promise<number | undefined> {
  const before = pids.map(processCpuMs);
  await run();
  const after = pids.map(processCpuMs);
  let total = 0;
  for (let i = 0; i < pids.length; i++) {
    const a = after[i];
    const b = before[i];
    if (a === undefined || b === undefined) return undefined;
    total += a - b;
  }
  return total;
}
