import { describe, expect, test } from 'vitest';
import { ANY, filterIds, filterValue, pageValue, parseRoute, routeHash } from '../../src/ui/route';

describe('route parts for filters and pages', () => {
  test.each([
    [['failed', '', ''], ['failed']],
    [['', 'agent-1', ''], [ANY, 'agent-1']],
    [['', '', 'session-1'], [ANY, ANY, 'session-1']],
    [[null, undefined, ''], []],
    [['cancelled', 'agent-1', 'session-1'], ['cancelled', 'agent-1', 'session-1']],
  ])('filterIds(%j) is %j', (values, ids) => {
    expect(filterIds(values)).toEqual(ids);
  });

  test('filterValue reads an unset filter back as empty, and a set one as it is', () => {
    expect([filterValue(undefined), filterValue(ANY), filterValue('failed')]).toEqual(['', '', 'failed']);
    const route = parseRoute(routeHash({ view: 'executions', ids: filterIds(['', 'a/b c', '']) }));
    expect(route).toEqual({ view: 'executions', ids: [ANY, 'a/b c'] });
    expect(route.ids.map(filterValue)).toEqual(['', 'a/b c']);
  });

  test.each([
    [undefined, 1],
    ['2', 2],
    ['0', 1],
    ['-3', 1],
    ['1.5', 1],
    ['x', 1],
    ['', 1],
    ['40', 40],
  ])('pageValue(%j) is %d', (id, page) => {
    expect(pageValue(id)).toBe(page);
  });
});
