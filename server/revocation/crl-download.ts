import type { LookupAddress, LookupAllOptions } from 'node:dns';
import { lookup as dnsLookup } from 'node:dns';
import type { IncomingMessage } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP } from 'node:net';
import { decodePemBlocks } from '../cert/index.js';
import { CrlFormatError } from './crl.js';

/**
 * One CRL download from a CRLDP URI, with the bounds a URI chosen by a certificate needs: http(s)
 * only, no redirects (a CRLDP names the list itself; a redirect could point anywhere), a size
 * bound while reading and a time bound from connect to last byte, and no link-local targets
 * (169.254/16, fe80::/10: cloud metadata services live there) unless allowed. The address check
 * sits in the connection's own DNS lookup, so a name cannot resolve to one address when checked
 * and to another when connected.
 */

export interface DownloadOptions {
  timeoutMs: number;
  maxBytes: number;
  /** Allow link-local and unspecified addresses (a closed network that really serves CRLs there). */
  allowLinkLocal?: boolean;
}

const forbidden = new BlockList();
forbidden.addSubnet('169.254.0.0', 16, 'ipv4');
forbidden.addSubnet('fe80::', 10, 'ipv6');
forbidden.addAddress('0.0.0.0', 'ipv4');
forbidden.addAddress('::', 'ipv6');

/** Why `address` may not be connected to, or undefined. IPv4-mapped IPv6 addresses count as IPv4. */
export function forbiddenAddressProblem(address: string): string | undefined {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  const ip = mapped ?? address;
  const family = isIP(ip) === 6 ? 'ipv6' : 'ipv4';
  return forbidden.check(ip, family) ? `${address} is a link-local or unspecified address` : undefined;
}

export type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;
type Resolve = (
  hostname: string,
  options: LookupAllOptions,
  callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

/** A `lookup` for http.request that refuses a name if any of its addresses is forbidden. */
export function createGuardedLookup(
  resolve: Resolve = dnsLookup,
): (hostname: string, options: { all?: boolean }, callback: LookupCallback) => void {
  return (hostname, options, callback) => {
    resolve(hostname, { all: true }, (err, addresses) => {
      if (err !== null) return callback(err, []);
      const bad = addresses.map((a) => forbiddenAddressProblem(a.address)).find((p) => p !== undefined);
      if (bad !== undefined || addresses.length === 0) {
        const refusal: NodeJS.ErrnoException = new Error(`refusing ${hostname}: ${bad ?? 'no address'}`);
        refusal.code = 'ERR_CRL_TARGET_REFUSED';
        return callback(refusal, []);
      }
      if (options.all === true) return callback(null, addresses);
      const first = addresses[0]!;
      return callback(null, first.address, first.family);
    });
  };
}

/** Only http(s) URLs without credentials are fetched; HPKI CRLDPs are plain http (the CRL is signed). */
export function isFetchableCrlUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.username === '' && u.password === '';
  } catch {
    return false;
  }
}

const guardedLookup = createGuardedLookup();

function get(url: URL, options: DownloadOptions, signal: AbortSignal): Promise<IncomingMessage> {
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'GET',
      headers: { accept: 'application/pkix-crl, */*' },
      signal,
      ...(options.allowLinkLocal === true ? {} : { lookup: guardedLookup }),
    });
    req.once('response', resolve);
    req.once('error', reject);
    req.end();
  });
}

/** GETs a CRL body (DER or PEM) of at most `maxBytes` within `timeoutMs`. */
export async function downloadCrl(url: string, options: DownloadOptions): Promise<Uint8Array> {
  if (!isFetchableCrlUrl(url)) throw new CrlFormatError(`not an http(s) CRL URL: ${url}`);
  const target = new URL(url);
  // A literal address never goes through lookup: check it here.
  const literal = target.hostname.replace(/^\[|\]$/g, '');
  const literalProblem =
    isIP(literal) === 0 || options.allowLinkLocal === true ? undefined : forbiddenAddressProblem(literal);
  if (literalProblem !== undefined) throw new Error(`refusing ${url}: ${literalProblem}`);
  const signal = AbortSignal.timeout(options.timeoutMs);
  try {
    return await fetchBody(url, target, options, signal);
  } catch (err) {
    if (signal.aborted) throw new Error(`CRL at ${url} took longer than ${options.timeoutMs} ms`, { cause: err });
    throw err;
  }
}

async function fetchBody(url: string, target: URL, options: DownloadOptions, signal: AbortSignal): Promise<Uint8Array> {
  const response = await get(target, options, signal);
  const status = response.statusCode ?? 0;
  if (status !== 200) {
    response.destroy();
    throw new Error(
      status >= 300 && status < 400
        ? `HTTP ${status} from ${url}: redirects are not followed`
        : `HTTP ${status} from ${url}`,
    );
  }
  const declared = Number(response.headers['content-length'] ?? Number.NaN);
  if (declared > options.maxBytes) {
    response.destroy();
    throw new CrlFormatError(`CRL at ${url} is larger than ${options.maxBytes} bytes`);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of response) {
    const bytes = chunk as Buffer;
    total += bytes.length;
    if (total > options.maxBytes) {
      response.destroy();
      throw new CrlFormatError(`CRL at ${url} is larger than ${options.maxBytes} bytes`);
    }
    chunks.push(bytes);
  }
  const body = Buffer.concat(chunks);
  const pem = decodePemBlocks(body, 'X509 CRL');
  const first = pem[0];
  if (pem.length > 0 && first !== undefined) return first;
  return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
}
