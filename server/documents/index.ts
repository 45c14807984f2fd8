// Signed documents (PROTOCOL.md §11, docs/signing.md): the shape every format shares, CMS/CAdES, RFC 3161 timestamps.

export * from './cms/index.js';
export type { DocumentVerifier, DocumentVerifyOptions, PendingSignature, Timestamper } from './document-types.js';
export * from './timestamp/index.js';
