// The one place that loads @peculiar/x509: it needs the metadata polyfill loaded before it, and a
// polyfill that patches a global has no place in the pure protocol/ layer. Import X.509 helpers from
// here, never from '@peculiar/x509' directly.
import 'reflect-metadata';

export * from '@peculiar/x509';
