// The server library of the npm package (`import … from 'hpki-login/server'`): the relying party's
// verifier (PROTOCOL.md §5), the challenge stores (memory, Redis) and the HTTP routes of §1.
export * from './challenge-store/index.js';
export * from './http/index.js';
export * from './verify/index.js';
