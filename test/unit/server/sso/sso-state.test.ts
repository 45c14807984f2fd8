import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type DistinguishedName, decodeName } from '../../../../protocol/x500-name.js';
import { encodeName, OID } from '../../../../scripts/dev/test-pki.js';
import { createMemorySsoStore } from '../../../../server/sso/memory-store.js';
import { deriveSub } from '../../../../server/sso/sub.js';

/** The sub derivation of docs/sso.md, and the memory store's bounds (full: refuse, never evict). */

const name = (spec: ReadonlyArray<readonly [string, string]>): DistinguishedName => decodeName(encodeName(spec));
const JMA = [
  [OID.c, 'JP'],
  [OID.o, 'Japan Medical Association'],
  [OID.cn, 'HPKI-01-MedicalDoctorCA-forAuthentication'],
] as const;

describe('sub', () => {
  it('is SHA-256 of the context, the issuer key and the holder id, as base64url', () => {
    const sub = deriveSub(name(JMA), 'A1234567');
    const key = JSON.stringify([
      [['2.5.4.6', 'jp']],
      [['2.5.4.10', 'japan medical association']],
      [['2.5.4.3', 'hpki-01-medicaldoctorca-forauthentication']],
    ]);
    const expected = createHash('sha256').update(`hpki-login sub 1\u0000${key}\u0000A1234567`).digest('base64url');
    expect(sub).toBe(expected);
    expect(sub).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('stays when the CA re-encodes or re-cases its name; changes with the holder id or the CA', () => {
    const sub = deriveSub(name(JMA), 'A1234567');
    const recased = [
      [OID.c, 'JP'],
      [OID.o, 'JAPAN  Medical Association '],
      [OID.cn, 'HPKI-01-MedicalDoctorCA-forAuthentication'],
    ] as const;
    expect(deriveSub(name(recased), 'A1234567')).toBe(sub);
    expect(deriveSub(name(JMA), 'A1234568')).not.toBe(sub);
    const medis = [
      [OID.c, 'JP'],
      [OID.o, 'MEDIS-DC'],
      [OID.cn, 'HPKI-01-MedicalDoctorCA-forAuthentication'],
    ] as const;
    expect(deriveSub(name(medis), 'A1234567')).not.toBe(sub);
    expect(() => deriveSub(name(JMA), '')).toThrow(RangeError);
  });
});

describe('memory SSO store', () => {
  it('refuses new records when full, keeps the live ones, and makes room as they expire', async () => {
    let now = 1_000_000;
    const store = createMemorySsoStore({ maxRecords: 3, maxPendingSignIns: 3, now: () => now });
    const sessions = store.adapter('Session');
    await sessions.upsert('a', { uid: 'ua' }, 60);
    await sessions.upsert('b', { uid: 'ub' }, 60);
    await store.adapter('Interaction').upsert('c', { returnTo: 'x' }, 5);
    await expect(sessions.upsert('d', { uid: 'ud' }, 60)).rejects.toMatchObject({
      error: 'temporarily_unavailable',
      statusCode: 503,
    });
    expect(await sessions.find('a')).toMatchObject({ uid: 'ua' });
    expect(await sessions.findByUid('ub')).toMatchObject({ uid: 'ub' });
    await sessions.upsert('a', { uid: 'ua', accountId: 'x' }, 60);
    now += 6_000;
    await sessions.upsert('d', { uid: 'ud' }, 60);
    expect(await store.adapter('Interaction').find('c')).toBeUndefined();
    await store.close();
  });

  it('keeps room for sign-ins under way: anonymous records stop at maxPendingSignIns', async () => {
    let now = 1_000_000;
    const store = createMemorySsoStore({ maxRecords: 6, maxPendingSignIns: 3, now: () => now });
    const interactions = store.adapter('Interaction');
    const bindings = store.adapter('HpkiBinding');
    const sessions = store.adapter('Session');
    // The doctor's sign-in: its interaction and login-page binding.
    await interactions.upsert('doctor', { returnTo: 'x' }, 600);
    await bindings.upsert('doctor-browser', { uid: 'doctor', interactionExpiresAt: 1 }, 600);
    // Anybody's: one more interaction fits, then every new anonymous record is refused.
    await interactions.upsert('flood-0', { returnTo: 'x' }, 600);
    for (const write of [
      () => interactions.upsert('flood-1', { returnTo: 'x' }, 600),
      () => bindings.upsert('flood-browser', { uid: 'flood-0', interactionExpiresAt: 1 }, 600),
      () => sessions.upsert('anonymous-session', { uid: 'u1' }, 600),
    ]) {
      await expect(write()).rejects.toMatchObject({ error: 'temporarily_unavailable', statusCode: 503 });
    }
    // The doctor's sign-in goes on into the room kept for it: its login, session with an account, code.
    await interactions.upsert('doctor', { returnTo: 'x', result: { login: { accountId: 'sub' } } }, 600);
    await store.adapter('HpkiSessionLogin').upsert('u2', { authTime: 1 }, 120);
    await sessions.upsert('doctor-session', { uid: 'u2', accountId: 'sub' }, 600);
    await store.adapter('AuthorizationCode').upsert('code', { grantId: 'g' }, 60);
    expect(await interactions.find('doctor')).toMatchObject({ result: { login: { accountId: 'sub' } } });
    // Anonymous records that go make room for new ones.
    await interactions.destroy('flood-0');
    await interactions.upsert('flood-1', { returnTo: 'x' }, 600);
    now += 601_000;
    await bindings.upsert('flood-browser', { uid: 'flood-1', interactionExpiresAt: 1 }, 600);
    expect(() => createMemorySsoStore({ maxRecords: 2, maxPendingSignIns: 3 })).toThrow(RangeError);
    await store.close();
  });

  it('consumes a code once, revokes a grant whole, takes a record once', async () => {
    const store = createMemorySsoStore();
    const codes = store.adapter('AuthorizationCode');
    await codes.upsert('code1', { grantId: 'g1' }, 60);
    await store.adapter('AccessToken').upsert('at1', { grantId: 'g1' }, 60);
    await codes.consume('code1');
    expect((await codes.find('code1'))?.consumed).toEqual(expect.any(Number));
    await expect(codes.consume('code1')).rejects.toMatchObject({ error: 'invalid_grant' });
    await store.adapter('AuthorizationCode').revokeByGrantId('g1');
    expect(await codes.find('code1')).toBeUndefined();
    expect(await store.adapter('AccessToken').find('at1')).toBeUndefined();
    const bindings = store.adapter('HpkiBinding');
    await bindings.upsert('p', { uid: 'x' }, 60);
    expect(await bindings.take('p')).toMatchObject({ uid: 'x' });
    expect(await bindings.take('p')).toBeUndefined();
    await store.close();
  });

  it('refuses new HPKI challenges when full instead of dropping pending ones', async () => {
    const store = createMemorySsoStore({ maxChallenges: 2 });
    const first = await store.challenges.issue('session-aaaaaaaaaaaaaaaa');
    await store.challenges.issue('session-bbbbbbbbbbbbbbbb');
    await expect(store.challenges.issue('session-cccccccccccccccc')).rejects.toMatchObject({
      code: 'ERR_HPKI_INTERNAL',
    });
    expect(await store.challenges.take('session-aaaaaaaaaaaaaaaa')).toEqual({
      status: 'ok',
      challenge: first.challenge,
    });
    await store.close();
  });
});
