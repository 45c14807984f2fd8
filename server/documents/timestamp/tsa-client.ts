import { HpkiError } from '../../../protocol/errors.js';
import type { Timestamper } from '../document-types.js';
import { buildTsaRequest, readTsaResponse } from './tsa-request.js';

/**
 * An RFC 3161 client over HTTP (RFC 3161 §3.4): POST application/timestamp-query, an answer of
 * application/timestamp-reply read up to `maxResponseBytes` within `timeoutMs` (the whole
 * exchange), its status, imprint and nonce checked. The TSA URL is the operator's.
 */

export interface TsaClientOptions {
  url: string;
  /** The whole exchange, connection to last byte; default 10 s. */
  timeoutMs?: number;
  /** Default 64 KiB: a token is a few kilobytes. */
  maxResponseBytes?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024;

function unavailable(message: string, cause?: unknown): HpkiError {
  return new HpkiError('ERR_TSA_UNAVAILABLE', message, cause === undefined ? undefined : { cause });
}

function checkUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new HpkiError('ERR_HPKI_INVALID_ARGUMENT', 'the TSA URL is not a URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new HpkiError('ERR_HPKI_INVALID_ARGUMENT', 'the TSA URL must be http or https');
  }
  return parsed;
}

async function readBounded(response: Response, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > maxBytes) throw unavailable(`the TSA answer is larger than ${maxBytes} bytes`);
  const reader = response.body?.getReader();
  if (reader === undefined) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > maxBytes) {
      await reader.cancel();
      throw unavailable(`the TSA answer is larger than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

export function createTsaClient(options: TsaClientOptions): Timestamper {
  const url = checkUrl(options.url);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  return async (hashAlgorithm, digest) => {
    const request = buildTsaRequest(hashAlgorithm, digest);
    const signal = AbortSignal.timeout(timeoutMs);
    let body: Uint8Array;
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/timestamp-query', accept: 'application/timestamp-reply' },
        body: request.der,
        redirect: 'error',
        signal,
      });
      if (!response.ok) throw unavailable(`the TSA answered HTTP ${response.status}`);
      const type = response.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase();
      if (type !== 'application/timestamp-reply') throw unavailable(`the TSA answered ${type ?? 'no content type'}`);
      body = await readBounded(response, maxBytes);
    } catch (err) {
      if (err instanceof HpkiError) throw err;
      if (signal.aborted) throw unavailable(`the TSA did not answer within ${timeoutMs} ms`, err);
      throw unavailable(`the TSA could not be reached: ${err instanceof Error ? err.message : 'error'}`, err);
    }
    return readTsaResponse(body, request);
  };
}
