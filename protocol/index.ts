export * from './errors.js';
export * from './base64.js';
export * from './origin.js';
export * from './challenge.js';
export * from './signed-data.js';
export * from './token.js';
export * from './messages.js';
export * from './page-messages.js';
