/**
 * A usage error on one line: what is wrong, then where the usage is. The whole usage is printed only
 * on request (`--help`), so the line that matters is not lost above it. In Japanese and English, like
 * `doctor`, where the message has its Japanese (`ja`).
 */
export function usageErrorLine(command: string, message: string, ja?: string): string {
  const text = ja === undefined ? message : `${ja} / ${message}`;
  return `hpki-login ${command}: ${text} (使い方 / usage: hpki-login ${command} --help)\n`;
}
