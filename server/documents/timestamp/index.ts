// RFC 3161 time-stamping: the client that asks a TSA (a Timestamper for every document format) and the token verifier.

export { TOKEN_LIMITS } from './token-content.js';
export { type VerifiedTimestamp, verifyTimestampToken } from './token-verifier.js';
export { createTsaClient, type TsaClientOptions } from './tsa-client.js';
export { buildTsaRequest, readTsaResponse, type TsaRequest } from './tsa-request.js';
