/**
 * What a KITE MCP tool is: a name, a JSON Schema for its arguments (TypeBox, so the
 * schema an assistant reads is the one the arguments are checked against), truthful
 * annotations, and a function over the typed KITE client that returns data. Calling one
 * checks the arguments, runs it and fits its answer to the output budget; arguments that
 * do not match, and failures the caller can act on, come back as tool errors.
 */
import type { Static, TSchema } from 'typebox';
import { Value } from 'typebox/value';
import type { KiteClient } from '../client/client.js';
import { fitToBudget, type FitOptions } from './budget.js';
import { toolErrorText } from './tool-errors.js';

export interface ToolContext {
  client: KiteClient;
  /** The most characters one answer may have. */
  budget: number;
}

export interface ToolAnswer {
  value: Record<string, unknown>;
  /** How to get what the budget cut (see budget.ts). */
  more?: FitOptions['more'];
  /** The answer says why the tool could not do what was asked (still data to act on). */
  isError?: boolean;
}

export interface Annotations {
  title: string;
  readOnlyHint: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  openWorldHint: boolean;
}

export interface Tool<S extends TSchema = TSchema> {
  name: string;
  description: string;
  input: S;
  annotations: Annotations;
  /** A right the caller must hold in some namespace for the tool to be listed. */
  needs?: 'write' | 'manage';
  run(args: Static<S>, context: ToolContext): Promise<ToolAnswer>;
}

/** Declares a tool with its argument type inferred from its schema. */
export const tool = <S extends TSchema>(definition: Tool<S>): Tool => definition;

export interface ToolResult {
  [key: string]: unknown;
  content: { type: 'text'; text: string }[];
  isError?: boolean;
}

const failed = (text: string): ToolResult => ({ content: [{ type: 'text', text }], isError: true });

export async function callTool(
  found: Tool,
  given: unknown,
  context: ToolContext,
): Promise<ToolResult> {
  const args = Value.Default(found.input, Value.Clone(given ?? {}));
  const problems = [...Value.Errors(found.input, args)];
  if (problems.length > 0) {
    const said = problems
      .slice(0, 5)
      .map((p) => `${p.instancePath || 'arguments'}: ${p.message}`)
      .join('; ');
    return failed(`Invalid arguments for ${found.name}: ${said}.`);
  }
  try {
    const answer = await found.run(args, context);
    const text = fitToBudget(
      answer.value,
      context.budget,
      answer.more ? { more: answer.more } : {},
    );
    return { content: [{ type: 'text', text }], ...(answer.isError ? { isError: true } : {}) };
  } catch (error) {
    const text = toolErrorText(error);
    if (text === undefined) throw error;
    return failed(text);
  }
}
