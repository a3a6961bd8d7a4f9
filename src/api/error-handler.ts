/**
 * Maps every error to one JSON shape, `{ error, details? }`, in one place. Business
 * errors keep their message; validation errors name the field (and list allowed values
 * for enums); anything unexpected is logged and answered 500 without internals.
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import { isUnavailable } from '../store/database.js';
import { PATTERN_MEANINGS } from './schemas.js';

interface ValidationIssue {
  keyword: string;
  instancePath: string;
  message?: string;
  params: Record<string, unknown>;
}

const STATUS_BY_NAME: Record<string, number> = {
  InputError: 400,
  UnauthenticatedError: 401,
  NotAllowedError: 403,
  NotFoundError: 404,
  ConflictError: 409,
  TooManyRequestsError: 429,
  UnavailableError: 503,
};

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError & { details?: unknown }, request, reply) => {
    if (error.validation) {
      return reply.code(400).send(describeValidation(error.validation, error.validationContext));
    }
    const status = STATUS_BY_NAME[error.name];
    if (status !== undefined) {
      // Operators need to see that a dependency is failing; the message is ours and
      // carries no credentials (the underlying cause is deliberately not logged).
      if (status === 503)
        request.log.warn({ reason: error.message }, 'request refused: dependency unavailable');
      // RFC 6750: a 401 names the scheme to authenticate with (MCP clients read it too).
      if (status === 401) void reply.header('www-authenticate', 'Bearer realm="kite"');
      return reply.code(status).send({
        error: error.message,
        ...(error.details === undefined ? {} : { details: error.details }),
      });
    }
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply.code(413).send({
        error: 'Request body is too large',
        details: { limitBytes: request.routeOptions.bodyLimit },
      });
    }
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      // A route that takes something else than JSON names it in its config.
      const { accepts } = request.routeOptions.config as { accepts?: string };
      return reply
        .code(415)
        .send({ error: `Unsupported content type: send ${accepts ?? 'application/json'}` });
    }
    if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
      // Malformed JSON, empty JSON body and the like: Fastify's message is safe and useful.
      return reply.code(error.statusCode).send({ error: error.message });
    }
    if (isRejectedValue(error)) {
      // A backstop: the input rules and schemas are meant to refuse such values first.
      request.log.warn({ code: (error as { code?: string }).code }, 'database refused a value');
      return reply.code(400).send({ error: 'Invalid request: a value cannot be stored' });
    }
    if (isUnavailable(error)) {
      request.log.error({ err: error }, 'database unavailable');
      return reply.code(503).send({ error: 'Database unavailable, try again later' });
    }
    request.log.error({ err: error }, 'request failed');
    return reply.code(500).send({ error: 'Internal server error' });
  });

  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send({ error: `Route ${request.method} ${request.url.split('?')[0]} not found` }),
  );
}

/**
 * PostgreSQL's "data exception" class (22: invalid text, out-of-range numbers) and
 * "program limit exceeded" (54000: a value too large for an index): the value was the
 * problem, and the statement that met it wrote nothing (every write is one statement).
 */
function isRejectedValue(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return (
    typeof code === 'string' &&
    /^[0-9A-Z]{5}$/.test(code) &&
    (code.startsWith('22') || code === '54000')
  );
}

function describeValidation(issues: ValidationIssue[], context: string | undefined) {
  const details = issues.map((issue) => {
    const field = fieldOf(issue, context);
    switch (issue.keyword) {
      case 'required':
        return { field, message: `${field} is required` };
      case 'enum': {
        const allowed = issue.params.allowedValues as unknown[];
        return { field, message: `${field} must be one of: ${allowed.join(', ')}`, allowed };
      }
      case 'format':
        return {
          field,
          message:
            issue.params.format === 'uuid'
              ? `${field} must be a valid UUID`
              : issue.params.format === 'date-time'
                ? `${field} must be an RFC 3339 date and time, e.g. 2027-01-15T00:00:00Z`
                : `${field} ${issue.message ?? 'is invalid'}`,
        };
      case 'minLength':
        return {
          field,
          message:
            issue.params.limit === 1
              ? `${field} must not be empty`
              : `${field} ${issue.message ?? ''}`,
        };
      case 'pattern': {
        const meaning = PATTERN_MEANINGS[String(issue.params.pattern)];
        return { field, message: `${field} ${meaning ?? issue.message ?? 'is invalid'}` };
      }
      default:
        return { field, message: `${field} ${issue.message ?? 'is invalid'}` };
    }
  });
  const missing = issues.some(
    (issue) =>
      issue.keyword === 'required' || (issue.keyword === 'minLength' && issue.params.limit === 1),
  );
  const first = details[0]?.message ?? 'invalid request';
  return {
    error: missing ? `Missing required fields: ${first}` : `Invalid request: ${first}`,
    details,
  };
}

/** `body.scope.resourceName`-style names, without the `body.` prefix for bodies. */
function fieldOf(issue: ValidationIssue, context: string | undefined): string {
  const path = issue.instancePath.split('/').filter(Boolean);
  if (issue.keyword === 'required' && typeof issue.params.missingProperty === 'string') {
    path.push(issue.params.missingProperty);
  }
  const name = path.join('.');
  if (context === 'body' || context === undefined) return name || 'body';
  return name || context;
}
