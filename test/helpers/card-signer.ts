import { createHash } from 'node:crypto';
import { createMemoryBackend } from '../../native-host/backends/memory-backend.js';
import { createSeenCertificates } from '../../native-host/commands/seen-certificates.js';
import { dispatch } from '../../native-host/host/dispatcher.js';

/**
 * The card's `sign` as a site's page gets it, without a browser: the host's `sign` command over the
 * mock backend (the same driver as real readers) with the signing PIN. Resolves with the signature's
 * base64, or rejects with the host's error.
 */
export async function signWithCard(
  cardPath: string,
  certificate: Uint8Array,
  request: { hashAlgorithm: string; hash: string; pin: string },
): Promise<string> {
  const backend = createMemoryBackend({ cardPath });
  const answer = (await dispatch(
    {
      id: 'sign',
      command: 'sign',
      params: {
        origin: 'http://localhost',
        ...request,
        certificateSha256: createHash('sha256').update(certificate).digest('hex'),
      },
    },
    async () => backend,
    { seen: createSeenCertificates() },
  )) as { result?: { signature: string }; error?: unknown };
  if (answer.result === undefined) throw new Error(`sign: ${JSON.stringify(answer.error)}`);
  return answer.result.signature;
}
