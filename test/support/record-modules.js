// Loaded with `node --import`: appends the URL of every module the process imports to the
// file named by KITE_RECORD_MODULES (test/integration/cli-*.test.ts check what loads).
import { register } from 'node:module';

const hooks = `
import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  if (process.env.KITE_RECORD_MODULES) appendFileSync(process.env.KITE_RECORD_MODULES, result.url + '\\n');
  return result;
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);
