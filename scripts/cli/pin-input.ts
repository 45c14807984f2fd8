import { UsageError } from './usage-error.js';

/**
 * The signing PIN for `hpki-login sign` (PROTOCOL.md §11): from standard input (`--pin-stdin`, one
 * line) or asked on the terminal with echo off. It is never printed, logged or kept beyond the one
 * `sign`; a wrong PIN is reported with the tries left and never retried.
 */

/** More than any PIN (4–16 characters) plus a line ending: anything longer is not a PIN. */
const MAX_PIN_INPUT = 64;

function firstLine(bytes: Buffer): string {
  return bytes.toString('utf8').split(/\r?\n/, 1)[0] ?? '';
}

export async function readPinFromStdin(input: NodeJS.ReadableStream = process.stdin): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of input) {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    total += bytes.length;
    if (total > MAX_PIN_INPUT) break;
    chunks.push(bytes);
    if (bytes.includes(0x0a)) break;
  }
  const pin = firstLine(Buffer.concat(chunks));
  if (total > MAX_PIN_INPUT || pin === '')
    throw new UsageError(
      '--pin-stdin: standard input holds no PIN line',
      '--pin-stdin: 標準入力に PIN の行がありません',
    );
  return pin;
}

/** Asks on the terminal without echo; a UsageError when standard input is not a terminal. */
export async function askPin(prompt: string): Promise<string> {
  const input = process.stdin;
  if (!input.isTTY) {
    throw new UsageError(
      'no terminal to ask the PIN on: give it with --pin-stdin',
      'PIN を尋ねる端末がありません: --pin-stdin で渡してください',
    );
  }
  process.stderr.write(prompt);
  input.setRawMode(true);
  input.resume();
  let pin = '';
  try {
    pin = await new Promise<string>((resolve, reject) => {
      let typed = '';
      const onData = (chunk: Buffer): void => {
        for (const byte of chunk) {
          if (byte === 0x03) return void reject(new UsageError('cancelled', '中止しました'));
          if (byte === 0x0d || byte === 0x0a) return void resolve(typed);
          if (byte === 0x7f || byte === 0x08) typed = typed.slice(0, -1);
          else if (typed.length < MAX_PIN_INPUT) typed += String.fromCharCode(byte);
        }
      };
      input.on('data', onData);
    });
  } finally {
    input.setRawMode(false);
    input.pause();
    input.removeAllListeners('data');
    process.stderr.write('\n');
  }
  return pin;
}
