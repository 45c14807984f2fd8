import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { ErrorCode } from '../../protocol/errors.js';

/**
 * Headers on every response: nothing runs or loads but what the site itself serves, no framing,
 * no sniffing, no referrer leaks. Pages need no script of their own; the extension's content script
 * is not bound by this policy, and `connect-src 'self'` leaves it free to call the site's own routes.
 */
export const SECURITY_HEADERS: Readonly<OutgoingHttpHeaders> = {
  'Content-Security-Policy':
    "default-src 'none'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

export function send(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string | Uint8Array,
  headers: OutgoingHttpHeaders = {},
): void {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'Cache-Control': 'no-store',
    ...headers,
    'Content-Type': contentType,
    'Content-Length': typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.length,
  });
  res.end(body);
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: OutgoingHttpHeaders = {}): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(body), headers);
}

export interface ErrorBody {
  error: { code: ErrorCode; message: string };
}

export function errorBody(code: ErrorCode, message: string): ErrorBody {
  return { error: { code, message } };
}

/**
 * The body as bytes, or `undefined` once it exceeds `limit`. An oversized body is left unread (not
 * destroyed, which would close the socket before the caller can answer 413): answer with
 * `Connection: close` so the connection ends after the response.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array | undefined> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const onData = (chunk: Buffer): void => {
      total += chunk.length;
      if (total <= limit) {
        chunks.push(chunk);
        return;
      }
      req.off('data', onData).off('end', onEnd).off('error', onError);
      req.pause();
      resolve(undefined);
    };
    const onEnd = (): void => resolve(new Uint8Array(Buffer.concat(chunks)));
    const onError = (err: Error): void => reject(err);
    req.on('data', onData).once('end', onEnd).once('error', onError);
  });
}

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Certificate fields and request values are outside input: everything interpolated into HTML goes through this. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch]!);
}

/**
 * A `node:http` listener from an async route: a failure is reported to `onInternalError` and answered
 * with a plain 500 (or, once the headers are out, the connection is cut), never an unhandled rejection.
 */
export function catchingInternalErrors(
  route: (req: IncomingMessage, res: ServerResponse) => Promise<unknown>,
  onInternalError: ((err: unknown) => void) | undefined,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    route(req, res).catch((err: unknown) => {
      onInternalError?.(err);
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error\n', { Connection: 'close' });
      else res.destroy();
    });
  };
}
