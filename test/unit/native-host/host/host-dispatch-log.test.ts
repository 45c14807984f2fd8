import { describe, expect, it } from 'vitest';
import type { CardBackend } from '../../../../native-host/card/card-token.js';
import { dispatch } from '../../../../native-host/host/dispatcher.js';

// Internal errors are told to the extension (which shows web pages only that one happened) and
// written to the host's log with their detail; nothing of the request, the PIN above all, goes there.

function failingBackend(message: string): CardBackend {
  return {
    name: 'pcsc',
    listReaders: async () => {
      throw new Error(message);
    },
    openToken: async () => {
      throw new Error(message);
    },
    close: async () => undefined,
  };
}

describe('host: internal errors in the log', () => {
  it('logs the command and the detail of an internal error, never the PIN', async () => {
    const lines: string[] = [];
    const answer = await dispatch(
      {
        id: 7,
        command: 'authenticate',
        params: {
          origin: 'https://a.example',
          challenge: 'c'.repeat(43),
          pin: '918273',
          certificateSha256: 'a'.repeat(64),
        },
      },
      async () => failingBackend('SCardTransmit failed: 0x80100016'),
      { log: (line) => lines.push(line) },
    );
    expect(answer).toMatchObject({ id: 7, error: { code: 'ERR_HPKI_INTERNAL' } });
    expect(lines).toEqual(['authenticate: internal error: SCardTransmit failed: 0x80100016']);
    expect(lines.join('\n')).not.toContain('918273');
  });

  it('logs nothing for the errors a doctor is told about (no card, wrong PIN …)', async () => {
    const lines: string[] = [];
    const backend = failingBackend('x');
    backend.listReaders = async () => [];
    const answer = await dispatch({ id: 1, command: 'status' }, async () => backend, {
      log: (line) => lines.push(line),
    });
    expect(answer).toEqual({ id: 1, result: { readers: [] } });
    expect(lines).toEqual([]);
  });
});
