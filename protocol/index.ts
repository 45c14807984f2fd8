export * from './base64.js';
export * from './challenge.js';
export * from './errors.js';
export * from './messages.js';
export * from './origin.js';
export * from './page-messages.js';
export * from './signed-data.js';
export * from './token.js';
