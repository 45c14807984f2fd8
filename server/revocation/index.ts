// CRLs: fetching, caching and checking a path's revocation; other folders import from here.

export type { ParsedCrl } from './crl.js';
export { type CrlFetcher, type CrlFetcherOptions, createCrlFetcher } from './crl-fetcher.js';
export { createCrlSignatureCache } from './crl-issuer.js';
export { createCrlStore } from './crl-store.js';
export { type CrlProvider, checkPathRevocation, type PathRevocation } from './revocation-check.js';
