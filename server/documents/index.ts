// Signed documents (PROTOCOL.md §11, docs/signing.md): the shape every format shares, CMS/CAdES,
// PAdES, XAdES and RFC 3161 timestamps.

export * from './cms/index.js';
export { detectDocumentFormat, verifyDocument } from './document-formats.js';
export type { DocumentVerifier, DocumentVerifyOptions, PendingSignature, Timestamper } from './document-types.js';
export * from './pades/index.js';
export * from './timestamp/index.js';
export * from './xades/index.js';
