import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HpkiError, VALIDATION_ERROR_CODES } from '../../../../protocol/errors.js';
import { MAX_SAME_ORIGIN_PATH_LENGTH } from '../../../../protocol/origin.js';
import { createMemoryChallengeStore } from '../../../../server/challenge-store/index.js';
import { type HpkiLoginDeps, handleHpkiLogin, issueChallenge, statusForError } from '../../../../server/http/index.js';
import { StoreUnavailableError } from '../../../../server/shared/index.js';
import { createTokenVerifier, type TokenVerifier } from '../../../../server/verify/index.js';
import { readSharedPemDer } from '../../../helpers/shared.js';

/** The framework-free entry points, called directly as a site on another stack would. */

const ORIGIN = 'https://harenet.example.jp';
const SESSION = 'framework-session-0123456789abcdef';
const JSON_HEADERS = { 'content-type': 'application/json', 'x-hpki-login': '1' };

function deps(verifier: TokenVerifier, extra: Partial<HpkiLoginDeps> = {}): HpkiLoginDeps {
  return {
    origin: ORIGIN,
    verifier,
    challenges: createMemoryChallengeStore(),
    startSession: () => 'new-session',
    ...extra,
  };
}

const realVerifier = createTokenVerifier({
  anchors: [readSharedPemDer('test-vectors', 'root.pem')],
  intermediates: [readSharedPemDer('test-vectors', 'authca.pem')],
  crls: [readSharedPemDer('test-vectors', 'authca-crl.pem')],
});

describe('framework-free login', () => {
  it('maps each validation code to 400, 401 or 403', () => {
    const statuses = Object.fromEntries(VALIDATION_ERROR_CODES.map((code) => [code, statusForError(code)]));
    expect(statuses).toEqual({
      ERR_TOKEN_MALFORMED: 400,
      ERR_CHALLENGE_UNKNOWN: 401,
      ERR_CHALLENGE_EXPIRED: 401,
      ERR_CERT_PURPOSE: 401,
      ERR_CERT_POLICY: 401,
      ERR_CERT_UNTRUSTED: 401,
      ERR_CERT_EXPIRED: 401,
      ERR_CERT_NOT_YET_VALID: 401,
      ERR_CERT_REVOKED: 401,
      ERR_REVOCATION_UNKNOWN: 401,
      ERR_SIGNATURE_INVALID: 401,
      ERR_ROLE_NOT_ALLOWED: 403,
      // verify-cert's only (docs/protocol-choices.md); malformed input, like a malformed token.
      ERR_CERT_MALFORMED: 400,
    });
    expect(statusForError('ERR_HPKI_INTERNAL')).toBe(500);
  });

  it('issues a challenge as the JSON of GET challengeUrl', async () => {
    const body = await issueChallenge(SESSION, { challenges: createMemoryChallengeStore() });
    expect(body.challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(new Date(body.expiresAt).toISOString()).toBe(body.expiresAt);
  });

  it('hides unexpected failures behind ERR_HPKI_INTERNAL and reports them to the site', async () => {
    const reported: unknown[] = [];
    const broken: TokenVerifier = {
      verify: () => Promise.reject(new TypeError('database password is hunter2')),
    };
    const out = await handleHpkiLogin(
      { sessionId: SESSION, headers: JSON_HEADERS, body: '{"token":{}}' },
      deps(broken, { onInternalError: (err) => reported.push(err) }),
    );
    expect(out).toEqual({
      status: 500,
      json: { error: { code: 'ERR_HPKI_INTERNAL', message: 'the login could not be checked' } },
    });
    expect(reported).toHaveLength(1);
  });

  it('passes the configured origin and the session challenge to the verifier, never request data', async () => {
    const seen: { origin: string; take: unknown }[] = [];
    const recording: TokenVerifier = {
      async verify(_token, context) {
        seen.push({ origin: context.origin, take: await context.takeChallenge() });
        throw new HpkiError('ERR_SIGNATURE_INVALID', 'recorded');
      },
    };
    const d = deps(recording);
    const { challenge } = await d.challenges.issue(SESSION);
    const headers = { ...JSON_HEADERS, origin: 'https://evil.example', host: 'evil.example' };
    const out = await handleHpkiLogin({ sessionId: SESSION, headers, body: '{"token":1}' }, d);
    expect(out.status).toBe(401);
    expect(seen).toEqual([{ origin: ORIGIN, take: { status: 'ok', challenge } }]);
  });

  it('never lets an arbitrary body through, nor throws on one', async () => {
    const d = deps(realVerifier);
    await d.challenges.issue(SESSION);
    const body = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? ''),
      fc.jsonValue({ maxDepth: 3 }).map((token) => JSON.stringify({ token })),
      fc.uint8Array({ maxLength: 200 }),
    );
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        const out = await handleHpkiLogin({ sessionId: SESSION, headers: JSON_HEADERS, body: b }, d);
        expect([400, 401]).toContain(out.status);
        expect(out.json).toHaveProperty('error.code');
      }),
      { numRuns: 200 },
    );
  });

  it('refuses a misconfigured origin or redirect', async () => {
    const request = { sessionId: SESSION, headers: JSON_HEADERS, body: '{}' };
    await expect(
      handleHpkiLogin(request, deps(realVerifier, { origin: 'http://harenet.example.jp' })),
    ).rejects.toMatchObject({
      code: 'ERR_HPKI_INSECURE_ORIGIN',
    });
    await expect(handleHpkiLogin(request, deps(realVerifier, { redirect: '//evil.example/' }))).rejects.toBeInstanceOf(
      RangeError,
    );
    // One bound for a same-origin path, protocol/'s: a slash and 2047 characters.
    const longest = `/${'a'.repeat(MAX_SAME_ORIGIN_PATH_LENGTH - 1)}`;
    const accepted = await handleHpkiLogin(request, deps(realVerifier, { redirect: longest }));
    expect(accepted.status).toBe(400);
    await expect(handleHpkiLogin(request, deps(realVerifier, { redirect: `${longest}a` }))).rejects.toBeInstanceOf(
      RangeError,
    );
  });
});

describe('framework-free login: a store that cannot be reached', () => {
  it('a store that cannot be reached is 503 with Retry-After, not a fault: the challenge store and the sessions', async () => {
    // What the Redis challenge store throws when Redis is down or too slow, and what a session store
    // of the caller's marks as a 503 (the provider's `temporarily_unavailable`).
    const down = new StoreUnavailableError('challenge store unavailable (take)', new Error('ECONNREFUSED'));
    const sessionsDown = Object.assign(new Error('the sign-in service cannot reach its store'), { statusCode: 503 });
    const verifyingTake: TokenVerifier = {
      async verify(_token, context) {
        await context.takeChallenge();
        throw new Error('not reached');
      },
    };
    const accepting: TokenVerifier = { verify: async () => ({}) as Awaited<ReturnType<TokenVerifier['verify']>> };
    const reported: unknown[] = [];
    const cases: HpkiLoginDeps[] = [
      deps(verifyingTake, {
        challenges: { ...createMemoryChallengeStore(), take: () => Promise.reject(down) },
        onInternalError: (err) => reported.push(err),
      }),
      deps(accepting, {
        startSession: () => {
          throw sessionsDown;
        },
        onInternalError: (err) => reported.push(err),
      }),
    ];
    for (const d of cases) {
      const out = await handleHpkiLogin({ sessionId: SESSION, headers: JSON_HEADERS, body: '{"token":{}}' }, d);
      expect(out).toEqual({
        status: 503,
        json: {
          error: { code: 'ERR_HPKI_INTERNAL', message: 'the login service cannot reach its store; try again shortly' },
        },
        retryAfterSeconds: 1,
      });
    }
    expect(reported).toEqual([down, sessionsDown]);
  });
});
