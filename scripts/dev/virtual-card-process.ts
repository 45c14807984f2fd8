import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { CLI, startCliHost } from './native-client.js';
import { vpcdPort } from './pcscd.js';

const run = promisify(execFile);

/** `hpki-login mock-card create`, as a user would run it. */
export async function createCardFile(out: string, pkiDir: string, extra: string[] = []): Promise<void> {
  await run(process.execPath, [CLI, 'mock-card', 'create', '--out', out, '--pki', pkiDir, ...extra]);
}

export interface ServedCard {
  process: ChildProcess;
  /** The `--log-apdus` lines so far (one per command APDU the card answered), without the prefix. */
  apdus(): string[];
  /** Ends the card process gracefully (the card is "removed"). */
  stop(): Promise<void>;
  /** Kills it at once, as if the card were pulled mid-command. */
  kill(): Promise<void>;
}

/**
 * `hpki-login mock-card serve --vpcd`: the card appears in a vpcd reader of the test pcscd (its first
 * reader unless another port is given).
 */
export async function serveCard(cardFile: string, extra: string[] = [], port = vpcdPort()): Promise<ServedCard> {
  const child = spawn(
    process.execPath,
    [CLI, 'mock-card', 'serve', '--card', cardFile, '--vpcd', `127.0.0.1:${port}`, ...extra],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 10_000;
  while (!/serving .* over vpcd/.test(output)) {
    if (child.exitCode !== null) throw new Error(`mock-card serve exited: ${output}`);
    if (Date.now() > deadline) throw new Error(`mock-card serve did not connect: ${output}`);
    await sleep(50);
  }
  const end = async (signal: NodeJS.Signals): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  const apdus = (): string[] => [...output.matchAll(/^mock-card: (apdu .*)$/gm)].map((m) => m[1]!);
  return { process: child, apdus, stop: () => end('SIGTERM'), kill: () => end('SIGKILL') };
}

/** Waits until pcscd reports the expected card presence in a reader, asking a real host. */
export async function waitForCardPresence(reader: string, present: boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const host = startCliHost(['--backend', 'pcsc']);
    const answer = await host.request({ id: 'wait', command: 'status' });
    await host.close();
    const readers =
      (answer.result as { readers?: { name: string; cardPresent: boolean }[] } | undefined)?.readers ?? [];
    if (readers.some((r) => r.name === reader && r.cardPresent === present)) return;
    if (Date.now() > deadline)
      throw new Error(`reader ${reader} never showed cardPresent=${present}: ${JSON.stringify(answer)}`);
    await sleep(200);
  }
}
