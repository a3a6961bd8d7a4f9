/**
 * The dashboard's list filters live in the URL under the API's own parameter names: they
 * read back as written, unknown values are dropped rather than sent, the state defaults
 * to active, and the API query carries exactly the chosen filters.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { filtersOf, isFiltered, queryOf, searchOf, type Filters } from '../../web/src/filters.js';
import { ago } from '../../web/src/format.js';

describe('dashboard filters in the URL', () => {
  it('read back what was written, in the API parameter names', () => {
    const filters: Filters = {
      namespace: ['team-a', 'team-b'],
      severity: 'major',
      issueType: 'build',
      state: 'any',
      resourceName: 'frontend',
      labelSelector: 'pipelinesascode.tekton.dev/event-type=push',
      search: 'timeout & retry',
      cursor: 'abc',
      group: 'component',
    };
    const search = searchOf(filters);
    assert.equal(
      search,
      '?namespace=team-a&namespace=team-b&severity=major&issueType=build&state=any&resourceName=frontend&labelSelector=pipelinesascode.tekton.dev%2Fevent-type%3Dpush&search=timeout+%26+retry&cursor=abc&group=component',
    );
    assert.deepEqual(filtersOf(new URLSearchParams(search)), filters);
  });

  it('default to active issues everywhere, and write nothing for the default', () => {
    const defaults = filtersOf(new URLSearchParams(''));
    assert.deepEqual(defaults, { namespace: [], state: 'ACTIVE' });
    assert.equal(searchOf(defaults), '');
    assert.deepEqual(queryOf(defaults), {
      state: 'ACTIVE',
      severity: undefined,
      issueType: undefined,
      resourceType: undefined,
      resourceName: undefined,
      labelSelector: undefined,
      search: undefined,
      cursor: undefined,
      limit: 25,
    });
  });

  it('drop values the API would refuse instead of sending them', () => {
    const filters = filtersOf(
      new URLSearchParams('severity=urgent&issueType=x&state=closed&group=team'),
    );
    assert.deepEqual(filters, { namespace: [], state: 'ACTIVE' });
  });

  it('send no state for "any", every chosen namespace, and not the grouping', () => {
    const query = queryOf(
      filtersOf(new URLSearchParams('state=any&namespace=a&namespace=b&group=application')),
    );
    assert.equal(query.state, undefined);
    assert.equal('group' in query, false);
    assert.deepEqual(query.namespace, ['a', 'b']);
  });

  it('keep the order in the URL and send it, but not the default and not an unknown one', () => {
    const filters = filtersOf(new URLSearchParams('sort=-severity&severity=major'));
    assert.deepEqual(filters, {
      namespace: [],
      state: 'ACTIVE',
      severity: 'major',
      sort: '-severity',
    });
    assert.equal(searchOf(filters), '?severity=major&sort=-severity');
    assert.equal(queryOf(filters).sort, '-severity');
    assert.equal(filtersOf(new URLSearchParams('sort=detectedAt')).sort, 'detectedAt');
    for (const unknown of ['sort=-detectedAt', 'sort=severity', 'sort=title']) {
      const read = filtersOf(new URLSearchParams(unknown));
      assert.equal('sort' in queryOf(read), false, unknown);
      assert.equal(searchOf(read), '', unknown);
    }
  });

  it('count the order as no filter: it narrows nothing', () => {
    assert.equal(isFiltered(filtersOf(new URLSearchParams('sort=detectedAt'))), false);
    assert.equal(isFiltered(filtersOf(new URLSearchParams('sort=detectedAt&state=any'))), true);
  });
});

describe('dashboard relative ages', () => {
  it('say how long ago in words, in the largest whole unit', () => {
    const now = Date.parse('2026-12-03T12:00:00Z');
    assert.equal(ago('2026-12-03T11:59:30Z', now), '30 seconds ago');
    assert.equal(ago('2026-12-03T11:55:00Z', now), '5 minutes ago');
    assert.equal(ago('2026-12-03T09:00:00Z', now), '3 hours ago');
    assert.equal(ago('2026-12-02T12:00:00Z', now), 'yesterday');
  });
});
