/** The API client's parsers: `Retry-After` in both forms, and Server-Sent Events framing. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { retryAfterMs } from '../../src/client/http.js';
import { readServerSentEvents } from '../../src/client/sse.js';

describe('Retry-After', () => {
  it('reads delta-seconds and HTTP dates, and ignores what is neither', () => {
    const now = Date.parse('2026-12-03T08:00:00Z');
    assert.equal(retryAfterMs('3', now), 3000);
    assert.equal(retryAfterMs('Thu, 03 Dec 2026 08:00:05 GMT', now), 5000);
    assert.equal(retryAfterMs('Thu, 03 Dec 2026 07:00:00 GMT', now), 0);
    assert.equal(retryAfterMs('soon', now), undefined);
    assert.equal(retryAfterMs(null, now), undefined);
  });
});

describe('Server-Sent Events', () => {
  it('joins data lines, skips comments, keeps ids, and frames across chunk and CRLF boundaries', async () => {
    const chunks = [
      'retry: 3000\r\n: connected\r\n\r\nevent: crea',
      'ted\r\nid: 7\r\ndata: {"a":\r\ndata: 1}\r\n\r',
      '\ndata: plain\n\n: keep-alive\n\n',
    ];
    const encoder = new TextEncoder();
    // One chunk per read, so the boundaries fall inside a field name and a CRLF.
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
        controller.close();
      },
    });
    const seen = [];
    for await (const event of readServerSentEvents(body)) seen.push(event);
    assert.deepEqual(seen, [
      { event: 'created', data: '{"a":\n1}', id: '7' },
      { event: 'message', data: 'plain', id: '7' },
    ]);
  });

  it('reports an id set without data, which an EventSource keeps to reconnect with', async () => {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        const text =
          'retry: 3000\n: connected\nid: 41\n\n: keep-alive\n\nevent: created\ndata: {}\n\n';
        controller.enqueue(new TextEncoder().encode(text));
        controller.close();
      },
    });
    const seen = [];
    for await (const event of readServerSentEvents(body)) seen.push(event);
    assert.deepEqual(seen, [{ id: '41' }, { event: 'created', data: '{}', id: '41' }]);
  });
});
