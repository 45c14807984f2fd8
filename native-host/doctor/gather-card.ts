import { readdir, readFile, stat } from 'node:fs/promises';
import { connect } from 'node:net';
import { toHpkiError } from '../../protocol/errors.js';
import { parseHpkiCertificate } from '../../protocol/hpki-certificate.js';
import type { CardBackend } from '../card/index.js';
import type { CardFacts, PcscdFacts, ReaderFacts } from './card-checks.js';

/** Gathers the card-side facts from this machine; judging them is card-checks.ts's job. */

export const PCSCD_SOCKET = '/run/pcscd/pcscd.comm';

async function socketExists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isSocket();
  } catch {
    return false;
  }
}

/** Linux: a process whose command name is pcscd (read from /proc, no extra tools needed). */
async function pcscdProcess(proc: string): Promise<boolean> {
  let entries: string[];
  try {
    entries = await readdir(proc);
  } catch {
    return false;
  }
  for (const pid of entries) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if ((await readFile(`${proc}/${pid}/comm`, 'utf8')).trim() === 'pcscd') return true;
    } catch {
      // The process ended while we looked.
    }
  }
  return false;
}

/** True when something accepts a connection on the Unix socket. */
function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ path });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * With PCSCLITE_CSOCK_NAME set (a pcscd on a socket of its own, as libpcsclite will use), pcscd runs
 * when that socket answers, whatever other pcscd processes there are; otherwise the system socket and
 * any pcscd process are what counts.
 */
export async function gatherPcscd(
  options: { socket?: string; proc?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<PcscdFacts> {
  const custom = (options.env ?? process.env).PCSCLITE_CSOCK_NAME;
  if (options.socket === undefined && custom !== undefined && custom !== '')
    return { socket: false, process: await socketAnswers(custom) };
  return {
    socket: await socketExists(options.socket ?? PCSCD_SOCKET),
    process: await pcscdProcess(options.proc ?? '/proc'),
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

export async function gatherReaders(backend: CardBackend, timeoutMs = 15_000): Promise<ReaderFacts> {
  try {
    return { readers: await withTimeout(backend.listReaders(), timeoutMs, 'the reader list') };
  } catch (err) {
    const e = toHpkiError(err);
    return { error: { code: e.code, message: e.message } };
  }
}

/** Reads the certificate and PIN counter of the first card (an HPKI card if there is one); no PIN is used. */
export async function gatherCard(
  backend: CardBackend,
  readers: ReaderFacts,
  timeoutMs = 15_000,
): Promise<CardFacts | undefined> {
  if ('error' in readers) return undefined;
  const withCard = readers.readers.filter((r) => r.cardPresent);
  const chosen = withCard.find((r) => r.cardType === 'hpki') ?? withCard[0];
  if (chosen === undefined) return undefined;
  const facts: CardFacts = { reader: chosen.name, cardType: chosen.cardType ?? 'unknown' };
  if (facts.cardType !== 'hpki') return facts;
  try {
    const { token } = await withTimeout(backend.openToken(chosen.name), timeoutMs, 'the card');
    try {
      const { certificate } = await token.readCertificate();
      facts.certificate = parseHpkiCertificate(certificate);
      facts.pin = await token.pinStatus();
    } finally {
      await token.close();
    }
  } catch (err) {
    const e = toHpkiError(err);
    facts.error = { code: e.code, message: e.message };
  }
  return facts;
}
