/**
 * Empty query values mean "not given", on every route, before validation. konflux-ui
 * builds its query strings with `getQueryString`, which turns an undefined value into
 * `key=` (its infinite list sends `offset=` on the first page); upstream KITE reads an
 * empty value as "no filter", and so do we. Only exactly empty values are dropped: a
 * non-empty value that is invalid still fails validation with a 400 naming the field.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';

export function installEmptyQueryValues(app: FastifyInstance): void {
  app.addHook('preValidation', (request, _reply, done) => {
    dropEmptyValues(request);
    done();
  });
}

function dropEmptyValues(request: FastifyRequest): void {
  const query = request.query;
  if (query === null || typeof query !== 'object') return;
  const values = query as Record<string, unknown>;
  for (const [key, value] of Object.entries(values)) {
    if (value === '') {
      delete values[key];
    } else if (Array.isArray(value)) {
      // `namespace=&namespace=team-a`: the empty repetition is dropped, the other kept.
      const given = value.filter((item) => item !== '');
      if (given.length === 0) delete values[key];
      else if (given.length !== value.length) values[key] = given;
    }
  }
}
