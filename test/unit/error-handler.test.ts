import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { installErrorHandling } from '../../src/api/error-handler.js';
import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
  UnavailableError,
} from '../../src/domain/errors.js';

async function answerFor(error: Error) {
  const app = Fastify({ logger: false });
  installErrorHandling(app);
  app.get('/boom', () => {
    throw error;
  });
  const response = await app.inject({ method: 'GET', url: '/boom' });
  await app.close();
  return { status: response.statusCode, body: response.json() };
}

describe('error mapping', () => {
  it('maps each business error to its status with the same body shape', async () => {
    assert.deepEqual(await answerFor(new InputError('bad', { field: 'x' })), {
      status: 400,
      body: { error: 'bad', details: { field: 'x' } },
    });
    assert.deepEqual(await answerFor(new NotAllowedError('no')), {
      status: 403,
      body: { error: 'no' },
    });
    assert.deepEqual(await answerFor(new NotFoundError('gone')), {
      status: 404,
      body: { error: 'gone' },
    });
    assert.deepEqual(await answerFor(new ConflictError('twice')), {
      status: 409,
      body: { error: 'twice' },
    });
    assert.deepEqual(await answerFor(new UnavailableError('later')), {
      status: 503,
      body: { error: 'later' },
    });
  });

  it('answers an unexpected error 500 without its message', async () => {
    const answer = await answerFor(new Error('password=hunter2 at db.internal:5432'));
    assert.deepEqual(answer, { status: 500, body: { error: 'Internal server error' } });
  });

  it('answers 503 when the database is unreachable, shutting down or out of connections', async () => {
    const withCode = (code: string) => Object.assign(new Error(`sqlstate ${code}`), { code });
    for (const code of ['ECONNREFUSED', '08006', '57P01', '53300']) {
      assert.deepEqual(
        await answerFor(withCode(code)),
        { status: 503, body: { error: 'Database unavailable, try again later' } },
        code,
      );
    }
    // A bad query is the server's fault, not the database's availability.
    assert.equal((await answerFor(withCode('42601'))).status, 500);
  });
});
