/**
 * A tick's renderings (src/api/event-hub.ts): the text a stream writes for the changes of
 * one 50 ms tick. Streams share a rendering, so the rules pinned here are what makes the
 * sharing safe: a rendering holds only the namespaces asked for, each frame carries the
 * position of the stream that asked, and only identical requests share.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sseFrame, tickOf, type TickChange } from '../../src/api/event-hub.js';

const change = (namespace: string, id: string, eventId: string | undefined): TickChange => ({
  namespace,
  frame: sseFrame('created', { type: 'created', id, namespace }),
  eventId,
});

/** [id line, issue id, namespace] of each frame of a rendering. */
function frames(bytes: Buffer | undefined): Array<[string, string, string]> {
  if (!bytes) return [];
  return String(bytes)
    .split('\n\n')
    .filter(Boolean)
    .map((block) => {
      const id = /^id: (.*)$/m.exec(block)![1]!;
      const data = JSON.parse(/^data: (.*)$/m.exec(block)![1]!) as {
        id: string;
        namespace: string;
      };
      return [id, data.id, data.namespace];
    });
}

const tick = () =>
  tickOf([
    change('team-a', 'a1', '11'),
    change('team-b', 'b1', '12'),
    change('team-c', 'c1', '13'),
    change('team-a', 'a2', '14'),
    change('team-b', 'b2', '15'),
  ]);

describe('a shared rendering never holds a namespace its stream was not shown', () => {
  it('renders exactly the changes of the namespaces asked for, in feed order', () => {
    const t = tick();
    assert.deepEqual(frames(t.render('10', new Set(['team-a']))?.bytes), [
      ['11', 'a1', 'team-a'],
      ['14', 'a2', 'team-a'],
    ]);
    assert.deepEqual(frames(t.render('10', new Set(['team-a', 'team-c']))?.bytes), [
      ['11', 'a1', 'team-a'],
      ['13', 'c1', 'team-c'],
      ['14', 'a2', 'team-a'],
    ]);
    assert.deepEqual(
      frames(t.render('10', t.namespaces)?.bytes).map(([, id]) => id),
      ['a1', 'b1', 'c1', 'a2', 'b2'],
    );
  });

  it('renders nothing for a stream shown none of the tick', () => {
    assert.equal(tick().render('10', new Set()), undefined);
  });

  it('gives streams shown different namespaces different renderings, even after sharing', () => {
    const t = tick();
    const everything = t.render('10', t.namespaces);
    const onlyB = t.render('10', new Set(['team-b']));
    assert.notEqual(onlyB?.bytes, everything?.bytes);
    assert.deepEqual(
      frames(onlyB?.bytes).map(([, , namespace]) => namespace),
      ['team-b', 'team-b'],
    );
  });
});

describe("each frame's id is the stream's position: the highest event id it delivered", () => {
  it('starts from the position of the stream that asks, and ends there', () => {
    const t = tickOf([
      change('team-a', 'a1', '21'),
      change('team-a', 'a2', '19'), // committed late, with a lower id
      change('team-a', 'a3', '22'),
    ]);
    const shown = new Set(['team-a']);
    const early = t.render('18', shown);
    assert.deepEqual(
      frames(early?.bytes).map(([id]) => id),
      ['21', '21', '22'],
    );
    assert.equal(early?.position, '22');
    const later = t.render('25', shown);
    assert.deepEqual(
      frames(later?.bytes).map(([id]) => id),
      ['25', '25', '25'],
    );
    assert.equal(later?.position, '25');
    // Decimal ids compare as numbers, not as text.
    assert.equal(t.render('9', shown)?.position, '22');
  });

  it('keeps the position for a change without an event id', () => {
    const t = tickOf([change('team-a', 'a1', undefined), change('team-a', 'a2', '31')]);
    assert.deepEqual(
      frames(t.render('30', new Set(['team-a']))?.bytes).map(([id]) => id),
      ['30', '31'],
    );
  });
});

describe('streams asking the same share one rendering', () => {
  it('shares between the same position and namespaces, and only then', () => {
    const t = tick();
    const all = t.render('10', new Set(t.namespaces));
    assert.equal(t.render('10', new Set(['team-c', 'team-a', 'team-b']))?.bytes, all?.bytes);
    assert.notEqual(t.render('12', t.namespaces)?.bytes, all?.bytes);
    const ac = t.render('10', new Set(['team-a', 'team-c']));
    assert.equal(t.render('10', new Set(['team-c', 'team-a']))?.bytes, ac?.bytes);
  });

  it('leaves out the ids a resumed stream was replayed, in a rendering of its own', () => {
    const t = tick();
    const all = t.render('10', t.namespaces);
    const resumed = t.render('10', t.namespaces, new Set(['11', '12']));
    assert.notEqual(resumed?.bytes, all?.bytes);
    assert.deepEqual(frames(resumed?.bytes), [
      ['13', 'c1', 'team-c'],
      ['14', 'a2', 'team-a'],
      ['15', 'b2', 'team-b'],
    ]);
    assert.equal(frames(t.render('10', t.namespaces)?.bytes).length, 5, 'the shared one is whole');
  });
});
