/**
 * kubectl's `-o jsonpath=…` templates, the part scripts use: text, `{.a.b}`, `{.items[0]}`,
 * `{.items[*].id}`, `{['key.with.dots']}`, `{range .items[*]}…{end}` (with `@` the current
 * item) and string literals such as `{"\n"}`. Several values print space-separated;
 * objects and arrays print as JSON.
 */
import { usageError } from './failure.js';

type Step = { key: string } | { index: number } | { all: true };
type Node =
  | { kind: 'text'; text: string }
  | { kind: 'path'; steps: Step[] }
  | { kind: 'range'; steps: Step[]; body: Node[] };

export function renderJsonPath(template: string, data: unknown): string {
  const nodes = parseTemplate(template);
  return render(nodes, data, data);
}

function render(nodes: Node[], root: unknown, current: unknown): string {
  let out = '';
  for (const node of nodes) {
    if (node.kind === 'text') out += node.text;
    else if (node.kind === 'path') out += evaluate(node.steps, current).map(show).join(' ');
    else {
      for (const item of evaluate(node.steps, current)) out += render(node.body, root, item);
    }
  }
  return out;
}

const show = (value: unknown) =>
  typeof value === 'string' ? value : value === undefined ? '' : JSON.stringify(value);

function evaluate(steps: Step[], start: unknown): unknown[] {
  let values = [start];
  for (const step of steps) {
    const next: unknown[] = [];
    for (const value of values) {
      if (value === null || typeof value !== 'object') continue;
      if ('all' in step) next.push(...Object.values(value as Record<string, unknown>));
      else if ('index' in step) {
        if (!Array.isArray(value)) continue;
        const item: unknown = value[step.index < 0 ? value.length + step.index : step.index];
        if (item !== undefined) next.push(item);
      } else if (step.key in value) next.push((value as Record<string, unknown>)[step.key]);
    }
    values = next;
  }
  return values;
}

function parseTemplate(template: string): Node[] {
  const root: Node[] = [];
  const stack: Node[][] = [root];
  let at = 0;
  while (at < template.length) {
    const open = template.indexOf('{', at);
    const top = stack[stack.length - 1]!;
    if (open < 0) {
      top.push({ kind: 'text', text: template.slice(at) });
      break;
    }
    if (open > at) top.push({ kind: 'text', text: template.slice(at, open) });
    const close = closingBrace(template, open);
    const expression = template.slice(open + 1, close).trim();
    at = close + 1;
    if (expression === 'end') {
      if (stack.length === 1) throw usageError('jsonpath: {end} without {range}');
      stack.pop();
    } else if (expression.startsWith('range ')) {
      const body: Node[] = [];
      top.push({ kind: 'range', steps: parsePath(expression.slice(6).trim()), body });
      stack.push(body);
    } else if (expression.startsWith('"')) {
      top.push({ kind: 'text', text: literal(expression) });
    } else {
      top.push({ kind: 'path', steps: parsePath(expression) });
    }
  }
  if (stack.length > 1) throw usageError('jsonpath: {range} without {end}');
  return root;
}

function closingBrace(template: string, open: number): number {
  let quoted = false;
  for (let i = open + 1; i < template.length; i++) {
    const char = template[i];
    if (char === '\\') i++;
    else if (char === '"') quoted = !quoted;
    else if (char === '}' && !quoted) return i;
  }
  throw usageError(`jsonpath: unclosed "{" in ${template}`);
}

function literal(expression: string): string {
  try {
    return JSON.parse(expression) as string;
  } catch {
    throw usageError(`jsonpath: bad string ${expression}`);
  }
}

function parsePath(path: string): Step[] {
  const steps: Step[] = [];
  const pattern = /\.\.|\.([^.[\]]+)|\[\*\]|\[(-?\d+)\]|\['([^']*)'\]|\["([^"]*)"\]|\.|\$|@/y;
  let at = 0;
  while (at < path.length) {
    pattern.lastIndex = at;
    const match = pattern.exec(path);
    if (!match || match[0] === '..')
      throw usageError(`jsonpath: cannot read "${path}" at "${path.slice(at)}"`);
    at = pattern.lastIndex;
    const [whole, name, index, single, double] = match;
    if (whole === '[*]' || name === '*') steps.push({ all: true });
    else if (name !== undefined) steps.push({ key: name });
    else if (index !== undefined) steps.push({ index: Number(index) });
    else if (single !== undefined || double !== undefined) steps.push({ key: (single ?? double)! });
  }
  return steps;
}
