import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { closeServer, listen, readBody } from '../../server/http/index.js';
import type { TestCert } from './test-pki.js';
import { toPem } from './test-pki.js';

/**
 * A time-stamping authority for tests and the demo: an HTTP server on a free loopback port that
 * answers each `application/timestamp-query` with `openssl ts -reply`, signing with a TSA
 * certificate of the test PKI (test-pki.ts `issueTsa`). OpenSSL writes the ESS
 * SigningCertificateV2 (SHA-256), the TSA certificate and its chain into each token.
 */

const run = promisify(execFile);
const MAX_QUERY_BYTES = 4096;

export interface TestTsa {
  url: string;
  /** PEM files the token's chain can be checked with by `openssl ts -verify` (the TSA's CA certificates). */
  caFile: string;
  tsaCertFile: string;
  /** How many queries were answered. */
  readonly answered: number;
  /** From now on, answer with this status instead (`fail`: an HTTP 500; `garbage`: random bytes). */
  misbehave(mode: 'none' | 'fail' | 'garbage' | 'slow'): void;
  stop(): Promise<void>;
}

export interface TestTsaOptions {
  tsa: TestCert;
  /** CA certificates from the TSA's issuer up to the root, put into each token and `caFile`. */
  chain: readonly Uint8Array[];
  /** Default sha256; the ESS certificate identifier's hash too. */
  digest?: 'sha256' | 'sha384' | 'sha512';
}

function config(dir: string, digest: string): string {
  return `[ tsa ]
default_tsa = tsa_config1

[ tsa_config1 ]
serial = ${join(dir, 'serial')}
crypto_device = builtin
signer_cert = ${join(dir, 'tsa.pem')}
certs = ${join(dir, 'chain.pem')}
signer_key = ${join(dir, 'tsa.key')}
signer_digest = ${digest}
default_policy = 1.3.6.1.4.1.99999.1.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = no
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
`;
}

export async function startTestTsa(options: TestTsaOptions): Promise<TestTsa> {
  const dir = await mkdtemp(join(tmpdir(), 'hpki-test-tsa-'));
  const key = options.tsa.key.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  await writeFile(join(dir, 'tsa.key'), key, { mode: 0o600 });
  await writeFile(join(dir, 'tsa.pem'), toPem(options.tsa.certificate, 'CERTIFICATE'));
  await writeFile(join(dir, 'chain.pem'), options.chain.map((c) => toPem(c, 'CERTIFICATE')).join(''));
  await writeFile(join(dir, 'serial'), '01\n');
  await writeFile(join(dir, 'tsa.cnf'), config(dir, options.digest ?? 'sha256'));
  let mode: 'none' | 'fail' | 'garbage' | 'slow' = 'none';
  let answered = 0;
  let queue: Promise<unknown> = Promise.resolve();

  // One openssl at a time: they share the serial file.
  const reply = (query: Uint8Array): Promise<Buffer> => {
    const next = queue.then(async () => {
      const id = randomBytes(6).toString('hex');
      const q = join(dir, `${id}.tsq`);
      const r = join(dir, `${id}.tsr`);
      await writeFile(q, query);
      try {
        await run('openssl', ['ts', '-reply', '-config', join(dir, 'tsa.cnf'), '-queryfile', q, '-out', r]);
        return await readFile(r);
      } finally {
        await rm(q, { force: true });
        await rm(r, { force: true });
      }
    });
    queue = next.catch(() => undefined);
    return next;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const query = req.method === 'POST' ? await readBody(req, MAX_QUERY_BYTES) : undefined;
    if (query === undefined || req.headers['content-type'] !== 'application/timestamp-query') {
      res.writeHead(400).end();
      return;
    }
    if (mode === 'fail') return void res.writeHead(500).end();
    if (mode === 'slow') return; // never answers: the client's timeout must end it
    const body = mode === 'garbage' ? randomBytes(200) : await reply(query);
    answered++;
    res.writeHead(200, { 'content-type': 'application/timestamp-reply', 'content-length': body.length }).end(body);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  const port = await listen(server, 0, '127.0.0.1');
  return {
    url: `http://127.0.0.1:${port}/tsa`,
    caFile: join(dir, 'chain.pem'),
    tsaCertFile: join(dir, 'tsa.pem'),
    get answered() {
      return answered;
    },
    misbehave(m) {
      mode = m;
    },
    async stop() {
      await closeServer(server);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
