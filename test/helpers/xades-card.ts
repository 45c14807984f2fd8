import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryBackend } from '../../native-host/backends/memory-backend.js';
import { createSeenCertificates } from '../../native-host/commands/seen-certificates.js';
import { dispatch } from '../../native-host/host/dispatcher.js';
import { loadOrCreateMockPki, type MockPki, writeCurrentCrls } from '../../native-host/mock-pki/index.js';
import { createCardFile } from '../../native-host/virtual-card/index.js';
import type { Timestamper } from '../../server/documents/document-types.js';
import { finishXades, prepareXades } from '../../server/documents/xades/xades-build.js';

/**
 * An e-prescription signed the way a site does it (PROTOCOL.md §11): the virtual card's signing
 * certificate from `get-signing-certificate`, prepareXades, the card's `sign` over the prepared hash
 * through the host's dispatcher on the mock backend (the same driver as real readers), finishXades.
 */

export const SIGN_PIN = '5678';
export const SAMPLE_CSV = new TextEncoder().encode(
  'SJ1\n1,1,8000010,99,検証用病院\n5,0000000000000001,ｲｼｬｻﾌﾞﾛｳ,医者　三郎\n11,0000000000000001,電子　有効五二\n201,1,1,1,2,622688101,ミニリンメルトＯＤ錠２５μｇ,2,1,錠\n',
);

export interface XadesCard {
  dir: string;
  pki: MockPki;
  cardPath: string;
  /** DER of the card's signing certificate, its CA, and the root. */
  certificate: Uint8Array;
  signCa: Uint8Array;
  root: Uint8Array;
  /** Current CRLs of the mock PKI's CAs. */
  crls: Uint8Array[];
  sign(csv: Uint8Array, options?: { timestamper?: Timestamper; signingTime?: Date }): Promise<Uint8Array>;
}

async function hostCall(cardPath: string, command: string, params?: Record<string, unknown>) {
  const backend = createMemoryBackend({ cardPath });
  const answer = (await dispatch({ id: command, command, ...(params ? { params } : {}) }, async () => backend, {
    seen: createSeenCertificates(),
  })) as { result?: Record<string, string>; error?: unknown };
  if (answer.result === undefined) throw new Error(`${command}: ${JSON.stringify(answer.error)}`);
  return answer.result;
}

/** A mock PKI and one card (`role`, default Medical Doctor) in a new temporary folder. */
export async function createXadesCard(name = 'Nichii Taro', role = 'Medical Doctor'): Promise<XadesCard> {
  const dir = mkdtempSync(join(tmpdir(), 'hpki-xades-'));
  const pki = await loadOrCreateMockPki(join(dir, 'pki'));
  const cardPath = join(dir, 'card.json');
  await createCardFile(cardPath, { pki, name, role, pin: '1234', signPin: SIGN_PIN });
  const { certificate } = await hostCall(cardPath, 'get-signing-certificate');
  const der = new Uint8Array(Buffer.from(certificate ?? '', 'base64'));
  const crls = await writeCurrentCrls(pki);
  return {
    dir,
    pki,
    cardPath,
    certificate: der,
    signCa: pki.signCa.certificate,
    root: pki.root.certificate,
    crls: [crls.signCaCrl, crls.authCaCrl],
    async sign(csv, options = {}) {
      const pending = prepareXades(csv, der, options.signingTime ? { signingTime: options.signingTime } : {});
      const signed = await hostCall(cardPath, 'sign', {
        origin: 'https://karte.example.jp',
        hashAlgorithm: pending.hashAlgorithm,
        hash: Buffer.from(pending.hash).toString('base64'),
        certificateSha256: createHash('sha256').update(der).digest('hex'),
        pin: SIGN_PIN,
      });
      return finishXades(pending.state, signed.signature ?? '', options);
    },
  };
}
