import { randomBytes } from 'node:crypto';

/**
 * `bytes` random bytes as unpadded base64url: every id server/ makes up (challenges, session and
 * pending-login ids, request ids, the demo's secrets) comes from here, so none is guessable.
 */
export function randomId(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}

/** 32 random bytes as unpadded base64url (43 characters): challenges and session ids alike. */
export function randomBase64Url256(): string {
  return randomId(32);
}
