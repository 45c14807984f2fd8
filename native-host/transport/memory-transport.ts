import type { ApduResponder, ApduTransport } from './apdu-transport.js';

/**
 * The virtual card in-process: unit tests and the zero-install demo. Counts what crosses it so the
 * benchmark can report APDUs and bytes per command.
 */
export interface MemoryTransport extends ApduTransport {
  readonly stats: { apdus: number; bytesSent: number; bytesReceived: number };
}

export function createMemoryTransport(card: ApduResponder, options: { reset?: boolean } = {}): MemoryTransport {
  if (options.reset ?? true) card.reset();
  let closed = false;
  const stats = { apdus: 0, bytesSent: 0, bytesReceived: 0 };
  return {
    stats,
    async transmit(command) {
      if (closed) throw new Error('transport closed');
      stats.apdus++;
      stats.bytesSent += command.length;
      const response = card.processAsync ? await card.processAsync(command) : card.process(command);
      stats.bytesReceived += response.length;
      return response;
    },
    async close() {
      closed = true;
    },
  };
}
