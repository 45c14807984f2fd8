// The server library of the npm package (`import … from 'hpki-login/server'`): the relying party's
// verifier (PROTOCOL.md §5), the challenge stores (memory, Redis), the HTTP routes of §1 and the
// signed documents of §11.
export * from './challenge-store/index.js';
export * from './documents/index.js';
export * from './http/index.js';
export * from './verify/index.js';
