import { createHash } from 'node:crypto';
import { type NativeClient, startCliHost } from './native-client.js';

/**
 * A card behind the native host with the in-process (mock) backend: the host reads the card file and
 * signs real tokens, as it would for the extension, without a browser.
 */
export interface CardSigner {
  token(origin: string, challenge: string): Promise<unknown>;
  close(): Promise<void>;
}

export async function openCard(cardFile: string, pin = '1234'): Promise<CardSigner> {
  const host: NativeClient = startCliHost(['--backend', 'mock', '--card', cardFile]);
  const got = await host.request({ id: 'cert', command: 'get-certificate' });
  const certificate = (got.result as { certificate?: string } | undefined)?.certificate;
  if (certificate === undefined) throw new Error(`get-certificate failed: ${JSON.stringify(got)}`);
  const certificateSha256 = createHash('sha256').update(Buffer.from(certificate, 'base64')).digest('hex');
  let next = 0;
  return {
    async token(origin, challenge) {
      const answer = await host.request({
        id: `auth-${next++}`,
        command: 'authenticate',
        params: { origin, challenge, pin, certificateSha256 },
      });
      const token = (answer.result as { token?: unknown } | undefined)?.token;
      if (token === undefined) throw new Error(`authenticate failed: ${JSON.stringify(answer)}`);
      return token;
    },
    close: async () => void (await host.close()),
  };
}
