import { databaseFailure, isDatabaseUnavailable } from './database-unavailable.js';

describe('databaseFailure', () => {
  // The messages and codes are the drivers' own (pg-pool, pg, PGlite, Node's net); TypeORM wraps them in
  // QueryFailedError with the original as `driverError`.
  it.each([
    [new Error('timeout exceeded when trying to connect'), 'busy'],
    [
      Object.assign(new Error('wrapped'), { driverError: new Error('timeout exceeded when trying to connect') }),
      'busy',
    ],
    [new Error('Connection terminated due to connection timeout'), 'unavailable'],
    [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }), 'unavailable'],
    [Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }), 'unavailable'],
    [new Error('PGlite is closed'), 'unavailable'],
    [Object.assign(new Error('duplicate key value'), { code: '23505' }), undefined],
    [new Error('timeout exceeded when trying to connect to the model'), undefined],
    ['a string', undefined],
  ])('%s -> %s', (err, expected) => {
    expect(databaseFailure(err)).toBe(expected);
    expect(isDatabaseUnavailable(err)).toBe(expected !== undefined);
  });
});
