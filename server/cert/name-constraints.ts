import type { NameConstraintsValue } from '../../protocol/certificate-extensions.js';
import type { GeneralName, GeneralNameKind } from '../../protocol/general-names.js';
import { ATTR, attributeValues, nameWithinSubtree } from '../../protocol/x500-name.js';
import type { ParsedCertificate } from './parsed-certificate.js';

/**
 * Name constraints (RFC 5280 §4.2.1.10, §6.1.3 b–c, §6.1.4 g) for directory names, e-mail, DNS,
 * URI and IP names. Constraints of one CA apply to every certificate below it. Permitted subtrees
 * are kept as layers, one per constraining CA: a name must lie in some subtree of every layer,
 * which is the intersection of §6.1.4 (g)(1) without computing it. Excluded subtrees add up.
 * Constraints on name forms this code cannot match (otherName, x400Address, ediPartyName,
 * registeredID) refuse any certificate that carries a name of that form, as §4.2.1.10 requires.
 */

export interface NameConstraintState {
  readonly permitted: ReadonlyMap<GeneralNameKind, readonly (readonly GeneralName[])[]>;
  readonly excluded: ReadonlyMap<GeneralNameKind, readonly GeneralName[]>;
}

export const NO_NAME_CONSTRAINTS: NameConstraintState = { permitted: new Map(), excluded: new Map() };

const MATCHED_FORMS: ReadonlySet<GeneralNameKind> = new Set([
  'directoryName',
  'rfc822Name',
  'dNSName',
  'uniformResourceIdentifier',
  'iPAddress',
]);

function byKind(names: readonly GeneralName[]): Map<GeneralNameKind, GeneralName[]> {
  const out = new Map<GeneralNameKind, GeneralName[]>();
  for (const n of names) out.set(n.kind, [...(out.get(n.kind) ?? []), n]);
  return out;
}

/** The state after a CA certificate with these constraints (§6.1.4 g). */
export function addNameConstraints(state: NameConstraintState, nc: NameConstraintsValue): NameConstraintState {
  const permitted = new Map(state.permitted);
  for (const [kind, bases] of byKind((nc.permitted ?? []).map((s) => s.base)))
    permitted.set(kind, [...(permitted.get(kind) ?? []), bases]);
  const excluded = new Map(state.excluded);
  for (const [kind, bases] of byKind((nc.excluded ?? []).map((s) => s.base)))
    excluded.set(kind, [...(excluded.get(kind) ?? []), ...bases]);
  return { permitted, excluded };
}

function lower(text: string): string {
  return text.toLowerCase();
}

/**
 * DNS: the name is the constraint or ends with "." + it, label by label (§4.2.1.10, §7.2). Both are
 * DNS names in the preferred syntax (certificate-profile.ts refuses any other), so no empty label
 * or leading period reaches here.
 */
function dnsWithin(name: string, constraint: string): boolean {
  const n = lower(name);
  const c = lower(constraint);
  return n === c || n.endsWith(`.${c}`);
}

/**
 * A wildcard subjectAltName (`*.example.jp`) stands for every name one label below its base, so it
 * reaches into an excluded subtree one label below that base too (`foo.example.jp`).
 */
function wildcardReaches(name: string, constraint: string): boolean {
  if (!name.startsWith('*.')) return false;
  const c = lower(constraint);
  const base = lower(name.slice(2));
  return c.endsWith(`.${base}`) && !c.slice(0, -base.length - 1).includes('.');
}

/** Host part of a URI with an authority, or undefined (no authority, or an IP literal: §4.2.1.10 refuses those). */
function uriHost(uri: string): string | undefined {
  const match = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/(?:[^@/?#]*@)?(\[[^\]]*\]|[^:/?#]*)/.exec(uri);
  const host = match?.[1];
  if (host === undefined || host === '' || host.startsWith('[') || /^\d+(\.\d+){3}$/.test(host)) return undefined;
  return host;
}

/** A URI constraint is a host (exact) or a .domain (any host below it). */
function hostWithin(host: string, constraint: string): boolean {
  const h = lower(host);
  const c = lower(constraint);
  return c.startsWith('.') ? h.endsWith(c) : h === c;
}

/** Mailbox (exact, host case-insensitive), host (every mailbox there) or .domain (every host below). */
function emailWithin(address: string, constraint: string): boolean {
  const at = address.lastIndexOf('@');
  if (at < 0) return false;
  const host = lower(address.slice(at + 1));
  const cAt = constraint.lastIndexOf('@');
  if (cAt >= 0) return address.slice(0, at) === constraint.slice(0, cAt) && host === lower(constraint.slice(cAt + 1));
  const c = lower(constraint);
  return c.startsWith('.') ? host.endsWith(c) : host === c;
}

function ipWithin(address: Uint8Array, constraint: Uint8Array): boolean {
  if (constraint.length !== address.length * 2) return false;
  for (let i = 0; i < address.length; i++) {
    const mask = constraint[address.length + i]!;
    if ((address[i]! & mask) !== (constraint[i]! & mask)) return false;
  }
  return true;
}

/** Whether `name` lies in the subtree `base` (same form); undefined when it cannot be decided. */
function within(name: GeneralName, base: GeneralName): boolean | undefined {
  if (name.kind === 'directoryName' && base.kind === 'directoryName') return nameWithinSubtree(name.name, base.name);
  if (name.kind === 'dNSName' && base.kind === 'dNSName') return dnsWithin(name.value, base.value);
  if (name.kind === 'rfc822Name' && base.kind === 'rfc822Name') return emailWithin(name.value, base.value);
  if (name.kind === 'iPAddress' && base.kind === 'iPAddress') return ipWithin(name.bytes, base.bytes);
  if (name.kind === 'uniformResourceIdentifier' && base.kind === 'uniformResourceIdentifier') {
    const host = uriHost(name.value);
    return host === undefined ? undefined : hostWithin(host, base.value);
  }
  return undefined;
}

/** The names of a certificate that constraints apply to: subject DN, SAN, and legacy emailAddress when there is no SAN. */
export function constrainedNames(cert: ParsedCertificate): GeneralName[] {
  const names: GeneralName[] = [];
  if (cert.decoded.subject.length > 0) names.push({ kind: 'directoryName', name: cert.decoded.subject });
  names.push(...(cert.subjectAltNames ?? []));
  if (cert.subjectAltNames === undefined) {
    for (const value of attributeValues(cert.decoded.subject, ATTR.emailAddress))
      names.push({ kind: 'rfc822Name', value });
  }
  return names;
}

function describe(name: GeneralName): string {
  return name.kind === 'directoryName' ? 'subject name' : 'value' in name ? `${name.kind} ${name.value}` : name.kind;
}

/** Why one of `cert`'s names (`name`) breaks the constraints in force above it, or undefined. */
function nameProblem(
  cert: ParsedCertificate,
  name: GeneralName,
  layers: readonly (readonly GeneralName[])[],
  excluded: readonly GeneralName[],
): string | undefined {
  if ((layers.length > 0 || excluded.length > 0) && !MATCHED_FORMS.has(name.kind)) {
    return `${cert.subjectText} has a ${name.kind} name under a constraint this verifier cannot process`;
  }
  const unchecked = `${cert.subjectText}: ${describe(name)} cannot be checked against the name constraints`;
  for (const base of excluded) {
    const inside =
      name.kind === 'dNSName' && base.kind === 'dNSName' && wildcardReaches(name.value, base.value)
        ? true
        : within(name, base);
    if (inside === undefined) return unchecked;
    if (inside) return `${cert.subjectText}: ${describe(name)} is in an excluded subtree`;
  }
  for (const layer of layers) {
    const results = layer.map((base) => within(name, base));
    if (results.includes(undefined)) return unchecked;
    if (!results.includes(true)) return `${cert.subjectText}: ${describe(name)} is outside the permitted subtrees`;
  }
  return undefined;
}

/** Why `cert`'s names break the constraints in force above it, or undefined when they do not. */
export function nameConstraintProblem(cert: ParsedCertificate, state: NameConstraintState): string | undefined {
  if (state.permitted.size === 0 && state.excluded.size === 0) return undefined;
  for (const name of constrainedNames(cert)) {
    const problem = nameProblem(cert, name, state.permitted.get(name.kind) ?? [], state.excluded.get(name.kind) ?? []);
    if (problem !== undefined) return problem;
  }
  return undefined;
}
