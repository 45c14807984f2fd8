/**
 * A command line the command cannot run: its message says what is wrong, and the CLI exits 2
 * (PROTOCOL.md §9). One class for every subcommand; `ja` is the same message in Japanese, printed
 * before the English where the command has it.
 */
export class UsageError extends Error {
  /** The same in Japanese, printed before the English. */
  readonly ja: string | undefined;
  constructor(message: string, ja?: string) {
    super(message);
    this.name = 'UsageError';
    this.ja = ja;
  }
}

/**
 * A usage error on one line: what is wrong, then where the usage is. The whole usage is printed only
 * on request (`--help`), so the line that matters is not lost above it. In Japanese and English, like
 * `doctor`, where the message has its Japanese (`ja`).
 */
export function usageErrorLine(command: string, message: string, ja?: string): string {
  const text = ja === undefined ? message : `${ja} / ${message}`;
  return `hpki-login ${command}: ${text} (使い方 / usage: hpki-login ${command} --help)\n`;
}
