import type { MessageKey, Translate } from './i18n.js';

/**
 * The hcRole of a certificate (HPKI-CARD.md §6) in the doctor's language. The certificate carries the
 * MHLW policy's English role name; known ones have a label in _locales, any other is shown as it is.
 */
const ROLE_KEYS: Readonly<Record<string, MessageKey>> = {
  'Medical Doctor': 'role_medical_doctor',
  Dentist: 'role_dentist',
  Pharmacist: 'role_pharmacist',
};

export function roleLabel(role: string, t: Translate): string {
  return Object.hasOwn(ROLE_KEYS, role) ? t(ROLE_KEYS[role]!) : role;
}
