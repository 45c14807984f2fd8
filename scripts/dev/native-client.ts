import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createFrameDecoder, encodeFrame } from '../../native-host/host/framing.js';

/** The repository's CLI entry, as a browser's launcher would run it. */
export const CLI = fileURLToPath(new URL('../../bin/hpki-login.js', import.meta.url));

/**
 * Talks to a native host process the way a browser does: 32-bit little-endian length-prefixed JSON
 * over its stdin/stdout.
 */
export interface NativeClient {
  process: ChildProcess;
  hello: Promise<unknown>;
  request(
    message: { id: string | number; command: string; params?: unknown },
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  sendRaw(bytes: Uint8Array): void;
  /** The next frame from the host (an event frame, or the answer after one). */
  next(timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Closes stdin and resolves with the exit code. */
  close(): Promise<number | null>;
  stderr(): string;
}

export function startNativeHost(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): NativeClient {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env });
  const decoder = createFrameDecoder(64 * 1024);
  const queue: unknown[] = [];
  const waiters: ((value: unknown) => void)[] = [];
  let errText = '';
  child.stderr!.on('data', (c: Buffer) => {
    errText += c.toString();
  });
  child.stdout!.on('data', (chunk: Buffer) => {
    for (const frame of decoder.push(new Uint8Array(chunk))) {
      const value = frame.kind === 'message' ? frame.value : frame;
      const waiter = waiters.shift();
      if (waiter) waiter(value);
      else queue.push(value);
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const next = (timeoutMs: number): Promise<unknown> => {
    if (queue.length > 0) return Promise.resolve(queue.shift());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no message from the host within ${timeoutMs} ms; stderr: ${errText}`)),
        timeoutMs,
      );
      waiters.push((v) => {
        clearTimeout(timer);
        resolve(v);
      });
    });
  };
  const hello = next(10_000);
  return {
    process: child,
    hello,
    async request(message, timeoutMs = 20_000) {
      await hello;
      child.stdin!.write(encodeFrame(message));
      return (await next(timeoutMs)) as Record<string, unknown>;
    },
    sendRaw(bytes) {
      child.stdin!.write(bytes);
    },
    next: async (timeoutMs = 20_000) => (await next(timeoutMs)) as Record<string, unknown>,
    async close() {
      child.stdin!.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
    stderr: () => errText,
  };
}

export function startCliHost(args: string[]): NativeClient {
  return startNativeHost(process.execPath, [CLI, 'host', ...args]);
}
