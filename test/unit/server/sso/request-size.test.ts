import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import {
  authorizationRequestBytes,
  MAX_AUTHORIZATION_REQUEST_BYTES,
  refuseOversizedAuthorization,
} from '../../../../server/sso/request-size.js';

/** The authorization request's size bound (docs/sso.md "Limits"); the real provider: test/integration/sso-request-size. */

function request(url: string, headers: Record<string, string> = {}): IncomingMessage {
  return { url, headers } as unknown as IncomingMessage;
}

function response() {
  const sent: { status?: number; headers?: Record<string, unknown>; body?: string } = {};
  const res = {
    writeHead(status: number, headers: Record<string, unknown>) {
      sent.status = status;
      sent.headers = headers;
      return res;
    },
    end(body: string) {
      sent.body = body;
    },
  };
  return { res: res as unknown as ServerResponse, sent };
}

describe('authorization request size', () => {
  it('counts the target as sent and the body it announces', () => {
    expect(authorizationRequestBytes(request('/auth?a=1'))).toBe(9);
    expect(authorizationRequestBytes(request('/auth', { 'content-length': '100' }))).toBe(105);
  });

  it('treats a body of unknown or malformed length as unknown', () => {
    expect(authorizationRequestBytes(request('/auth', { 'transfer-encoding': 'chunked' }))).toBeUndefined();
    for (const length of ['', '-1', '1e3', ' 12', '0x10', '9'.repeat(16)])
      expect(authorizationRequestBytes(request('/auth', { 'content-length': length }))).toBeUndefined();
  });

  it('lets a request at the bound through and refuses one byte more, with invalid_request and no redirect', () => {
    const at = `/auth?state=${'a'.repeat(MAX_AUTHORIZATION_REQUEST_BYTES - 12)}`;
    const pass = response();
    expect(refuseOversizedAuthorization(request(at), pass.res, 'SSO')).toBe(false);
    expect(pass.sent.status).toBeUndefined();
    const over = response();
    expect(refuseOversizedAuthorization(request(`${at}a`), over.res, 'SSO')).toBe(true);
    expect(over.sent.status).toBe(400);
    expect(over.sent.headers).not.toHaveProperty('Location');
    expect(over.sent.headers).toMatchObject({ Connection: 'close' });
    expect(over.sent.body).toContain('invalid_request');
    expect(over.sent.body).toContain(`${MAX_AUTHORIZATION_REQUEST_BYTES + 1} bytes`);
    const chunked = response();
    expect(refuseOversizedAuthorization(request('/auth', { 'transfer-encoding': 'chunked' }), chunked.res, 'SSO')).toBe(
      true,
    );
    expect(chunked.sent.body).toContain('Content-Length');
  });
});
