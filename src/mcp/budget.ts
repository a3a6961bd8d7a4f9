/**
 * Tool answers made for a small context window: compact JSON (no indentation, no empty
 * fields) that fits a character budget. What does not fit is cut where it says so:
 * long strings end in `… [N more characters]`, long lists keep their first items and the
 * answer gains `truncated` (`{ "issues": "20 of 134 shown" }`) and, when the tool knows
 * one, `more`: how to ask for the rest. Nothing is cut while the answer fits.
 */

/** The string lengths tried, longest first, before any list is shortened. */
const STRING_CAPS = [4000, 1000, 300, 120];

export interface FitOptions {
  /** How to get what was cut, given the lists shortened (path → items kept). */
  more?: (kept: Record<string, number>) => string | undefined;
}

/** `value` as compact JSON of at most `budget` characters, cuts stated. */
export function fitToBudget(value: unknown, budget: number, options: FitOptions = {}): string {
  const whole = JSON.stringify(value);
  if (whole.length <= budget) return whole;
  for (const cap of STRING_CAPS) {
    const capped = JSON.stringify(capStrings(value, cap));
    if (capped.length <= budget) return capped;
  }
  let current = capStrings(value, STRING_CAPS[STRING_CAPS.length - 1]!);
  const kept: Record<string, number> = {};
  const totals: Record<string, number> = {};
  const done = new Set<string>();
  const annotated = () => {
    if (Object.keys(kept).length === 0 || !isRecord(current)) return current;
    const truncated = Object.fromEntries(
      Object.entries(kept).map(([path, count]) => [path, `${count} of ${totals[path]} shown`]),
    );
    const more = options.more?.(kept);
    return { ...current, truncated, ...(more ? { more } : {}) };
  };
  for (;;) {
    const text = JSON.stringify(annotated());
    if (text.length <= budget) return text;
    const longest = longestArray(current, done);
    if (!longest) return cut(text, budget);
    done.add(longest.path);
    totals[longest.path] ??= longest.items.length;
    // The most items that still fit, found in log(n) tries.
    let low = 0;
    let high = longest.items.length - 1;
    while (low < high) {
      const middle = Math.ceil((low + high) / 2);
      kept[longest.path] = middle;
      const trial = JSON.stringify(annotatedWith(setAt(current, longest.steps, middle)));
      if (trial.length <= budget) low = middle;
      else high = middle - 1;
    }
    kept[longest.path] = low;
    current = setAt(current, longest.steps, low);
  }

  function annotatedWith(candidate: unknown) {
    const saved = current;
    current = candidate;
    const result = annotated();
    current = saved;
    return result;
  }
}

function cut(text: string, budget: number): string {
  const note = ` … [cut at the budget of ${budget} characters]`;
  return text.slice(0, Math.max(0, budget - note.length)) + note;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A copy with every string longer than `cap` shortened, saying by how much. */
export function capStrings(value: unknown, cap: number): unknown {
  if (typeof value === 'string') {
    return value.length <= cap
      ? value
      : `${value.slice(0, cap)}… [${value.length - cap} more characters]`;
  }
  if (Array.isArray(value)) return value.map((item) => capStrings(item, cap));
  if (isRecord(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, capStrings(v, cap)]));
  }
  return value;
}

type Step = string | number;

interface Found {
  /** For people: `issues`, `group.members`, `timeline[0].lines`. */
  path: string;
  steps: Step[];
  items: unknown[];
  size: number;
}

const pathOf = (steps: Step[]) =>
  steps.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');

/** The array (not yet shortened, with more than one item) whose JSON is longest. */
function longestArray(value: unknown, skip: Set<string>, steps: Step[] = []): Found | undefined {
  let best: Found | undefined;
  const consider = (found: Found | undefined) => {
    if (found && (!best || found.size > best.size)) best = found;
  };
  if (Array.isArray(value)) {
    const path = pathOf(steps);
    if (value.length > 1 && !skip.has(path)) {
      consider({ path, steps, items: value, size: JSON.stringify(value).length });
    }
    value.forEach((item, index) => consider(longestArray(item, skip, [...steps, index])));
  } else if (isRecord(value)) {
    for (const [key, item] of Object.entries(value)) {
      consider(longestArray(item, skip, [...steps, key]));
    }
  }
  return best;
}

/** A copy of `value` with the array at `steps` cut to its first `count` items. */
function setAt(value: unknown, steps: Step[], count: number): unknown {
  const walk = (node: unknown, depth: number): unknown => {
    if (depth === steps.length) return Array.isArray(node) ? node.slice(0, count) : node;
    const step = steps[depth]!;
    if (Array.isArray(node)) {
      return (node as unknown[]).map((item, i) => (i === step ? walk(item, depth + 1) : item));
    }
    if (isRecord(node)) return { ...node, [step]: walk(node[step], depth + 1) };
    return node;
  };
  return walk(value, 0);
}
