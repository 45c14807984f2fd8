import type { VirtualCard } from './virtual-card.js';

/**
 * A virtual card that reports every command APDU it answers as one line: the four header bytes, the
 * command's length and the status word. Never the data, so a VERIFY's PIN is never written; what the
 * line shows is what the APDU budget tests and `bench:host` count over pcscd + vpcd.
 */

const hex = (bytes: Uint8Array): string =>
  [...bytes].map((b) => b.toString(16).toUpperCase().padStart(2, '0')).join(' ');

export function formatApduLine(command: Uint8Array, response: Uint8Array): string {
  const sw = response.length >= 2 ? hex(response.subarray(response.length - 2)) : '--';
  return `apdu ${hex(command.subarray(0, 4))} (${command.length} B) -> ${sw} (${Math.max(0, response.length - 2)} B)`;
}

export function withApduLog(card: VirtualCard, log: (line: string) => void): VirtualCard {
  return {
    atr: () => card.atr(),
    reset: () => card.reset(),
    process(command) {
      const response = card.process(command);
      log(formatApduLine(command, response));
      return response;
    },
    async processAsync(command) {
      const response = await card.processAsync(command);
      log(formatApduLine(command, response));
      return response;
    },
  };
}
