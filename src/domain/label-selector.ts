/**
 * Kubernetes-style label selectors (`app=web,tier!=db,env in (a,b),!legacy`), parsed into
 * requirements the store turns into SQL. Supported operators: `=`, `==`, `!=`, `in`,
 * `notin`, existence (`key`) and absence (`!key`).
 */
import { InputError } from './errors.js';

export type LabelRequirement =
  | { key: string; op: 'eq' | 'neq'; value: string }
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | 'absent' };

const KEY = /^[A-Za-z0-9]([A-Za-z0-9._/-]*[A-Za-z0-9])?$/;
const VALUE = /^[^\s,()=!]*$/;
const MAX_SELECTOR_LENGTH = 2048;

export function parseLabelSelector(selector: string): LabelRequirement[] {
  if (selector.length > MAX_SELECTOR_LENGTH) {
    throw new InputError('labelSelector is too long', { max: MAX_SELECTOR_LENGTH });
  }
  if (selector.trim() === '') return [];
  return splitTopLevel(selector)
    .map((part) => part.trim())
    .map((part) => {
      // `a=b,,c` and a trailing comma: a term went missing, which is a mistake to report.
      if (part === '') throw invalid(selector, 'empty requirement (two commas in a row?)');
      return parseRequirement(part);
    });
}

/** Splits on commas that are not inside `( … )`. */
function splitTopLevel(selector: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of selector) {
    if (char === '(') depth += 1;
    if (char === ')') depth -= 1;
    if (depth < 0) throw invalid(selector, 'unbalanced parentheses');
    if (char === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  if (depth !== 0) throw invalid(selector, 'unbalanced parentheses');
  parts.push(current);
  return parts;
}

function parseRequirement(text: string): LabelRequirement {
  const setMatch = /^(\S+)\s+(in|notin)\s*\(([^()]*)\)$/.exec(text);
  if (setMatch) {
    const [, key = '', op, list = ''] = setMatch;
    // As in Kubernetes: `in ()` and `notin ()` select by nothing, so they are refused.
    if (list.trim() === '') throw invalid(text, `the set of values for "${op}" is empty`);
    const values = list.split(',').map((value) => value.trim());
    values.forEach((value) => checkValue(text, value));
    return { key: checkKey(text, key), op: op === 'in' ? 'in' : 'notin', values };
  }
  const eqMatch = /^([^=!\s]+)\s*(==|=|!=)\s*(.*)$/.exec(text);
  if (eqMatch) {
    const [, key = '', op, value = ''] = eqMatch;
    return {
      key: checkKey(text, key),
      op: op === '!=' ? 'neq' : 'eq',
      value: checkValue(text, value.trim()),
    };
  }
  if (text.startsWith('!')) return { key: checkKey(text, text.slice(1).trim()), op: 'absent' };
  return { key: checkKey(text, text), op: 'exists' };
}

function checkKey(text: string, key: string): string {
  if (!KEY.test(key) || key.length > 317) throw invalid(text, `invalid label key "${key}"`);
  return key;
}

function checkValue(text: string, value: string): string {
  if (!VALUE.test(value) || value.length > 1024)
    throw invalid(text, `invalid label value "${value}"`);
  return value;
}

function invalid(text: string, reason: string): InputError {
  return new InputError(`labelSelector: ${reason}`, { field: 'labelSelector', requirement: text });
}
