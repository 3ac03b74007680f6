import { VerifiedTokens } from './verified-tokens.js';

const alice = {
  id: '7d3c6a5e-0000-4000-8000-000000000001',
  email: 'alice@example.com',
  roles: ['user' as const],
  sessionId: '5e55104e-0000-4000-8000-000000000001',
};
const T0 = 1_800_000_000_000;

describe('VerifiedTokens', () => {
  it('answers only for a token stored earlier, by its exact string', () => {
    const tokens = new VerifiedTokens(10);
    expect(tokens.get('a.b.c', T0)).toBeUndefined();
    tokens.set('a.b.c', alice, { exp: T0 / 1000 + 60 });
    expect(tokens.get('a.b.c', T0)).toEqual(alice);
    expect(tokens.get('a.b.d', T0)).toBeUndefined();
  });

  it('stops answering at `exp` (as the verifier: valid while now < exp) and forgets the token', () => {
    const tokens = new VerifiedTokens(10);
    tokens.set('t', alice, { exp: T0 / 1000 + 60 });
    expect(tokens.get('t', T0 + 59_999)).toEqual(alice);
    expect(tokens.get('t', T0 + 60_000)).toBeUndefined();
    expect(tokens.size).toBe(0);
  });

  it('does not answer before `nbf`', () => {
    const tokens = new VerifiedTokens(10);
    tokens.set('t', alice, { exp: T0 / 1000 + 60, nbf: T0 / 1000 + 10 });
    expect(tokens.get('t', T0 + 9_999)).toBeUndefined();
    expect(tokens.get('t', T0 + 10_000)).toEqual(alice);
  });

  it('keeps at most `capacity` tokens, dropping the oldest stored', () => {
    const tokens = new VerifiedTokens(2);
    for (const t of ['t1', 't2', 't3']) tokens.set(t, alice, { exp: T0 / 1000 + 60 });
    expect(tokens.size).toBe(2);
    expect(tokens.get('t1', T0)).toBeUndefined();
    expect(tokens.get('t2', T0)).toEqual(alice);
    expect(tokens.get('t3', T0)).toEqual(alice);
  });

  it('hands out a frozen copy, so one request cannot change the user the next one sees', () => {
    const tokens = new VerifiedTokens(10);
    const roles: Array<'user' | 'admin'> = ['user'];
    tokens.set('t', { ...alice, roles }, { exp: T0 / 1000 + 60 });
    roles.push('admin');
    const user = tokens.get('t', T0)!;
    expect(user.roles).toEqual(['user']);
    expect(Object.isFrozen(user) && Object.isFrozen(user.roles)).toBe(true);
  });
});
