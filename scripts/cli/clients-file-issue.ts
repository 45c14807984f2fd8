import type { z } from 'zod';

/**
 * One plain sentence for what is wrong in a `--clients` file, naming the client and the field, instead
 * of the schema library's own text ("Invalid input: expected array, received object").
 */
export function describeClientsIssue(issue: z.core.$ZodIssue | undefined): string {
  if (issue === undefined) return 'is not a valid list of clients';
  const [index, ...field] = issue.path;
  if (index === undefined) {
    if (issue.code === 'invalid_type')
      return 'must hold a JSON array of clients: [{ "client_id": …, "redirect_uris": […] }]';
    if (issue.code === 'too_small') return 'lists no client';
    if (issue.code === 'too_big') return 'lists more than 1000 clients';
    return issue.message;
  }
  const where = `client ${typeof index === 'number' ? index + 1 : String(index)}`;
  const name = field.map(String).join('.');
  return `${where}${name === '' ? '' : `, field "${name}"`}: ${plainProblem(issue)}`;
}

function plainProblem(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return /received undefined$/.test(issue.message) ? 'is missing' : `should be ${article(issue.expected)}`;
    case 'unrecognized_keys':
      return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    case 'too_small':
      return issue.origin === 'array' ? `needs at least ${issue.minimum} entries` : 'is too short';
    case 'too_big':
      return issue.origin === 'array' ? `has more than ${issue.maximum} entries` : 'is too long';
    case 'invalid_format':
      return `is not a valid ${issue.format}`;
    case 'invalid_value':
      return `should be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return issue.message;
  }
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}
