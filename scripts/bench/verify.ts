import type { KeyObject } from 'node:crypto';
import { createPublicKey, hash, randomBytes, verify as rsaVerify } from 'node:crypto';
import { openSync, readSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { encodeBase64Url } from '../../protocol/base64.js';
import { buildSignedContent, signedContentFromHashes } from '../../protocol/signed-data.js';
import type { Token } from '../../protocol/token.js';
import { checkToken, decodeTokenField } from '../../protocol/token.js';
import type { ChallengeTake } from '../../server/verify/index.js';
import { createTokenVerifier } from '../../server/verify/index.js';
import { nodeBase64Strict } from '../../server/verify/node-base64.js';
import { nodeSha256 } from '../../server/verify/node-sha256.js';
import type { TestCert } from '../dev/test-pki.js';
import { createTestPki, makeCrl, signLoginToken } from '../dev/test-pki.js';

/**
 * `npm run bench:verify`: full token validations per second on one thread (PROTOCOL.md §5, every
 * step: decode, challenge take, purpose, path, CRL, signature, role) against raw RSA-2048 verifies in
 * the same batches, for returning holders (warm) and for certificates never seen before (unseen). Warm caches: configured CAs parsed, CA links verified, returning holders'
 * certificates parsed. Each token is checked against a fresh challenge taken from a store.
 * Rates are given per second of CPU time as well as of wall time, so that a busy machine (other
 * processes taking the core away) does not distort the comparison.
 *
 * Fairness: the tokens are made before any timing, and a full garbage collection runs before each
 * timed pass, so that the young generation holds none of them: otherwise every scavenge during the
 * pass copies thousands of pre-made tokens and certificates and charges that to the verifier
 * (docs/verifier-speed.md). Unseen certificates are timed over several rounds, each with a
 * verifier of its own, so that the same tokens are unseen in every round and the figures do not
 * rest on one pass right after the tokens were made.
 */

const ORIGIN = 'https://harenet.example.jp';
const HOLDERS = 16;
const TOKENS = 1000;
const ROUNDS = 10;
/** Rounds run first so that V8 has optimised the hot path (it takes about ten thousand calls). */
const WARM_UP_ROUNDS = 10;
const COLD_TOKENS = 2000;
const COLD_ROUNDS = 5;
const COLD_WARM_UP_ROUNDS = 2;
const DAY = 86_400_000;

/**
 * A full garbage collection, without --expose-gc on the command line (the bench runs as a plain
 * `node` child): the flag is set at run time and the function taken from a new context.
 */
const collectGarbage = ((): (() => void) => {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

interface Signed {
  token: Token;
  challenge: string;
}

/**
 * Tokens as a server receives them: parsed from a JSON body. (The in-process encoder builds its
 * base64 strings piece by piece, and flattening them would be charged to the verifier.)
 */
function signTokens(holders: readonly TestCert[], count: number): Signed[] {
  return Array.from({ length: count }, (_, i) => {
    const holder = holders[i % holders.length]!;
    const challenge = encodeBase64Url(randomBytes(32));
    const token = signLoginToken({
      certificate: holder.certificate,
      privateKey: holder.key.privateKey,
      origin: ORIGIN,
      challenge,
    });
    return { challenge, token: JSON.parse(JSON.stringify(token)) as Token };
  });
}

/** A challenge store in memory: issue, then take once. */
function challengeStore(): { issue: (c: string) => string; take: (id: string) => Promise<ChallengeTake> } {
  const pending = new Map<string, string>();
  let next = 0;
  return {
    issue(challenge) {
      const id = `s${next++}`;
      pending.set(id, challenge);
      return id;
    },
    take(id) {
      const challenge = pending.get(id);
      pending.delete(id);
      return Promise.resolve(challenge === undefined ? { status: 'unknown' } : { status: 'ok', challenge });
    },
  };
}

interface Rate {
  /** Per second of wall time. */
  perSecond: number;
  /** Per second of this process's CPU time. */
  perCpuSecond: number;
}

function cpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

interface RawInput {
  content: Uint8Array;
  signature: Buffer;
  key: KeyObject;
  /** The key's modulus and exponent (base64url), to import it anew as the verifier does an unseen holder's. */
  n: string;
  e: string;
}

function rawInputs(signed: readonly Signed[], holders: readonly TestCert[]): RawInput[] {
  const jwks = holders.map((h) => h.key.publicKey.export({ format: 'jwk' }));
  return signed.map(({ token, challenge }, i) => ({
    content: buildSignedContent({ origin: ORIGIN, challenge, certificate: holders[i % holders.length]!.certificate }),
    signature: Buffer.from(token.signature, 'base64'),
    key: holders[i % holders.length]!.key.publicKey,
    n: jwks[i % holders.length]!.n!,
    e: jwks[i % holders.length]!.e!,
  }));
}

function verifyRaw(inputs: readonly RawInput[], count: number, offset = 0): void {
  for (let n = 0; n < count; n++) {
    const { content, signature, key } = inputs[(offset + n) % inputs.length]!;
    if (!rsaVerify('sha256', content, key, signature)) throw new Error('raw verify failed');
  }
}

/**
 * Raw verifications each with its key imported just before, from n and e, as the verifier imports
 * an unseen holder's key (server/cert/parsed-certificate.ts): the import and OpenSSL's set-up of a
 * key on its first use are what every first login pays beyond a raw verification.
 */
function verifyRawNewKeys(inputs: readonly RawInput[], count: number, offset = 0): void {
  for (let i = 0; i < count; i++) {
    const { content, signature, n, e } = inputs[(offset + i) % inputs.length]!;
    const key = createPublicKey({ key: { kty: 'RSA', n, e }, format: 'jwk' });
    if (!rsaVerify('sha256', content, key, signature)) throw new Error('raw verify failed');
  }
}

interface Timed extends Rate {
  /** Wall-clock latency of each validation, ms, sorted. */
  latencies: number[];
  /** Latencies of the validations that ran without being switched out (timesScheduled), ms, sorted. */
  unswitched: number[];
  /** Validations of the pass that watched for switches. */
  watched: number;
}

/** Raw verifications with a new key each, timed in the same batches (unseen pass only). */
interface Rates {
  timed: Timed;
  raw: Rate;
  rawNewKey: Rate | undefined;
}

/**
 * How many times this thread has been put on a core so far, from Linux's
 * /proc/thread-self/schedstat (its third field), read in place through a file kept open; -1 where
 * the file is not there. A validation during which it does not change ran without being switched
 * out, so its wall-clock latency is what an idle core would give: on a shared machine that is the
 * only latency worth a percentile (getrusage counts in scheduler ticks, too coarse for one
 * validation).
 */
const timesScheduled = ((): (() => number) => {
  let fd: number;
  try {
    fd = openSync('/proc/thread-self/schedstat', 'r');
  } catch {
    return () => -1;
  }
  const buffer = Buffer.alloc(128);
  return () => {
    const n = readSync(fd, buffer, 0, buffer.length, 0);
    return Number(buffer.toString('latin1', 0, n).trim().split(' ')[2]);
  };
})();

async function verifyBatch(
  verifier: ReturnType<typeof createTokenVerifier>,
  batch: readonly Signed[],
  out: { latencies: number[]; unswitched: number[] },
  watchSwitches: boolean,
): Promise<void> {
  const store = challengeStore();
  for (const { token, challenge } of batch) {
    const session = store.issue(challenge);
    const s0 = watchSwitches ? timesScheduled() : -1;
    const t0 = performance.now();
    await verifier.verify(token, { origin: ORIGIN, takeChallenge: () => store.take(session) });
    const latency = performance.now() - t0;
    out.latencies.push(latency);
    if (s0 >= 0 && timesScheduled() === s0) out.unswitched.push(latency);
  }
}

/**
 * Validations of `signed` (`rounds` times) and raw RSA verifications in alternating batches, so
 * that both rates come from the same stretch of time: on a shared machine, load that comes and goes
 * would otherwise make the ratio between two separately timed loops meaningless. Then `latencyOnly`,
 * untimed, for the latencies of validations never switched out. `verifierFor` gives the verifier of
 * each round (and of the latency pass): the same one for warm validations, a new one for unseen.
 */
type Verifier = ReturnType<typeof createTokenVerifier>;

async function besideRaw(
  verifierFor: () => Verifier,
  signed: readonly Signed[],
  rounds: number,
  inputs: readonly RawInput[],
  latencyOnly: readonly Signed[] = [],
  newKeys = false,
): Promise<Rates> {
  const BATCH = 100;
  const out = { latencies: [] as number[], unswitched: [] as number[] };
  const spent = { cpu: 0, wall: 0, rawCpu: 0, rawWall: 0, newCpu: 0, newWall: 0 };
  for (let r = 0; r < rounds; r++) {
    const verifier = verifierFor();
    collectGarbage();
    for (let from = 0; from < signed.length; from += BATCH) {
      let cpu = cpuSeconds();
      let wall = performance.now();
      await verifyBatch(verifier, signed.slice(from, from + BATCH), out, false);
      spent.cpu += cpuSeconds() - cpu;
      spent.wall += performance.now() - wall;
      cpu = cpuSeconds();
      wall = performance.now();
      verifyRaw(inputs, 4 * BATCH, from);
      spent.rawCpu += cpuSeconds() - cpu;
      spent.rawWall += performance.now() - wall;
      if (!newKeys) continue;
      cpu = cpuSeconds();
      wall = performance.now();
      verifyRawNewKeys(inputs, BATCH, from);
      spent.newCpu += cpuSeconds() - cpu;
      spent.newWall += performance.now() - wall;
    }
  }
  const count = out.latencies.length;
  // Watching for switches costs two reads of /proc per validation: a pass of its own, out of the rates.
  const watched = { latencies: [] as number[], unswitched: [] as number[] };
  const latencyVerifier = verifierFor();
  collectGarbage();
  await verifyBatch(latencyVerifier, latencyOnly, watched, true);
  const rawCount = 4 * BATCH * Math.ceil(signed.length / BATCH) * rounds;
  return {
    timed: {
      perSecond: count / (spent.wall / 1000),
      perCpuSecond: count / spent.cpu,
      latencies: out.latencies.sort((a, b) => a - b),
      unswitched: watched.unswitched.sort((a, b) => a - b),
      watched: watched.latencies.length,
    },
    raw: { perSecond: rawCount / (spent.rawWall / 1000), perCpuSecond: rawCount / spent.rawCpu },
    rawNewKey: newKeys ? { perSecond: count / (spent.newWall / 1000), perCpuSecond: count / spent.newCpu } : undefined,
  };
}

/**
 * An unseen validation's RSA floor: the token's verification with a key imported for it, and the
 * certificate's with its CA's key (a raw one). Nothing else counted, that is the most an unseen
 * validation could reach as a share of raw; `unseen` as a share of it is what the rest of the
 * validation leaves of that ceiling (docs/verifier-speed.md).
 */
function newKeyRows(newKey: Rate, raw: Rate, unseen: Rate): [string, string][] {
  const floor = 1 / (1 / newKey.perCpuSecond + 1 / raw.perCpuSecond);
  return [
    [
      '  raw RSA-2048 verify with a key imported for it',
      `${newKey.perCpuSecond.toFixed(0).padStart(6)} /s   ${newKey.perSecond.toFixed(0).padStart(6)} /s   (${((newKey.perCpuSecond / raw.perCpuSecond) * 100).toFixed(1)}% of raw per CPU-s)`,
    ],
    [
      '  … the two RSA verifications alone (ceiling)',
      `${floor.toFixed(0).padStart(6)} /s            (${((floor / raw.perCpuSecond) * 100).toFixed(1)}% of raw per CPU-s)`,
    ],
    ['  … unseen as a share of that ceiling', `${((unseen.perCpuSecond / floor) * 100).toFixed(1)}%`],
  ];
}

/** CPU microseconds per call of `step` over every signed token, `rounds` times. */
function cpuMicros(signed: readonly Signed[], rounds: number, step: (s: Signed) => unknown): number {
  const start = cpuSeconds();
  for (let r = 0; r < rounds; r++) for (const s of signed) step(s);
  return ((cpuSeconds() - start) * 1e6) / (rounds * signed.length);
}

async function main(): Promise<void> {
  process.stdout.write('making a test PKI (RSA-2048)…\n');
  const pki = createTestPki();
  const holders = Array.from({ length: HOLDERS }, (_, i) => pki.issueEe({ name: `Holder ${i}` }));
  const crl = makeCrl({
    issuer: pki.authCa.name,
    signingKey: pki.authCa.key,
    thisUpdate: new Date(pki.now.getTime() - DAY),
    nextUpdate: new Date(pki.now.getTime() + 3 * DAY),
    revoked: Array.from({ length: 5000 }, (_, i) => ({ serial: 0x900000 + i, date: pki.now, reason: 1 })),
  });
  const options = { anchors: [pki.root.certificate], intermediates: [pki.authCa.certificate], crls: [crl] };
  const signed = signTokens(holders, TOKENS);

  const inputs = rawInputs(signed, holders);

  const verifier = createTokenVerifier(options);
  const same = (): Verifier => verifier;
  await besideRaw(same, signed, WARM_UP_ROUNDS, inputs);
  const { timed: warm, raw } = await besideRaw(same, signed, ROUNDS, inputs, signed);

  // Every token from a certificate the verifier has never seen (parsing included), as on a
  // morning of first logins: each round a new verifier (configured CAs and CRL parsed, outside the
  // timing) and only certificates it has not seen. Shared per-process caches (OIDs, extension values
  // common to a CA's certificates) stay warm, as in a server that has run for a while.
  const fresh = (): Verifier => createTokenVerifier(options);
  const coldHolders = Array.from({ length: COLD_TOKENS }, () => pki.issueEe({ key: pki.eeKey }));
  const coldSigned = signTokens(coldHolders, COLD_TOKENS);
  await besideRaw(fresh, coldSigned, COLD_WARM_UP_ROUNDS, inputs);
  const {
    timed: cold,
    raw: rawBeside,
    rawNewKey,
  } = await besideRaw(fresh, coldSigned, COLD_ROUNDS, inputs, coldSigned, true);

  // Where a warm validation's time goes: the protocol's token step (a returning holder's certificate
  // is found by its text, so only the signature is decoded) and signed-content hashing are measured
  // on their own; the rest of the verifier is what remains besides the RSA verify.
  const decodeUs = cpuMicros(signed, ROUNDS, (x) =>
    decodeTokenField(checkToken(x.token).signature, 'signature', nodeBase64Strict),
  );
  let i = 0;
  const originHash = nodeSha256(new TextEncoder().encode(ORIGIN));
  const certHashes = holders.map((h) => nodeSha256(h.certificate));
  // What the verifier does per token: hash the challenge; the origin and a seen certificate are cached.
  const contentUs = cpuMicros(signed, ROUNDS, (x) =>
    signedContentFromHashes({
      origin: originHash,
      challenge: hash('sha256', x.challenge, 'buffer'),
      certificate: certHashes[i++ % certHashes.length]!,
    }),
  );
  const totalUs = 1e6 / warm.perCpuSecond;
  const rsaUs = 1e6 / raw.perCpuSecond;

  const ms = (v: number): string => `${v.toFixed(3)} ms`;
  const us = (v: number): string => `${v.toFixed(1).padStart(6)} µs`;
  const rate = (r: Rate): string =>
    `${r.perCpuSecond.toFixed(0).padStart(6)} /s   ${r.perSecond.toFixed(0).padStart(6)} /s`;
  const ofRaw = (r: Rate, base: Rate): string =>
    `(${((r.perCpuSecond / base.perCpuSecond) * 100).toFixed(1)}% of raw per CPU-s)`;
  const latency = (t: Timed): [string, string][] => [
    ['  latency p50 / p99 (wall)', `${ms(percentile(t.latencies, 50))} / ${ms(percentile(t.latencies, 99))}`],
    [
      '  … of those never switched out p50 / p99',
      `${ms(percentile(t.unswitched, 50))} / ${ms(percentile(t.unswitched, 99))}   (${t.unswitched.length} of ${t.watched})`,
    ],
  ];
  const rows: [string, string][] = [
    ['', '  per CPU-s   per wall-s'],
    ['full token validation, warm', `${rate(warm)}   ${ofRaw(warm, raw)}`],
    ['  raw RSA-2048 verify, in the same batches', rate(raw)],
    ...latency(warm),
    ['  CPU per validation (process)', us(totalUs)],
    ['    token check, signature decoding (protocol/token.ts)', us(decodeUs)],
    ['    signed content (challenge hashed, origin and certificate hashes cached)', us(contentUs)],
    ['    RSA-2048 verify', us(rsaUs)],
    ['    the rest (challenge, path, CRL, role…)', us(Math.max(0, totalUs - decodeUs - contentUs - rsaUs))],
    ['full token validation, unseen certificate', `${rate(cold)}   ${ofRaw(cold, rawBeside)}`],
    ['  raw RSA-2048 verify, in the same batches', rate(rawBeside)],
    ...(rawNewKey === undefined ? [] : newKeyRows(rawNewKey, rawBeside, cold)),
    ...latency(cold),
  ];
  process.stdout.write(`\n${rows.map(([k, v]) => `${k.padEnd(44)} ${v}`).join('\n')}\n`);
  process.stdout.write(
    `\n${warm.latencies.length} warm validations (${HOLDERS} holders, fresh challenge each, CRL of 5000 entries), ${cold.latencies.length} of unseen certificates (${COLD_TOKENS} certificates, ${COLD_ROUNDS} rounds, a new verifier each); full GC before each timed pass; Node ${process.version}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
