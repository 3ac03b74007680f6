import { SessionStates } from './session-states.js';

const T0 = 1_800_000_000_000;
const ALICE = 'a0000000-0000-4000-8000-000000000001';
const BOB = 'b0000000-0000-4000-8000-000000000002';
const live = (userId: string, expiresAtMs = T0 + 3_600_000) => ({ userId, live: true, expiresAtMs });

describe('SessionStates', () => {
  it('answers for a stored session, and only for the user it belongs to', () => {
    const states = new SessionStates(10, 30_000);
    expect(states.get('s1', ALICE, T0)).toBeUndefined();
    states.set('s1', live(ALICE), T0, states.generation);
    expect(states.get('s1', ALICE, T0)).toBe(true);
    expect(states.get('s1', BOB, T0)).toBe(false);
  });

  it('trusts a live session for the TTL, never past its expiry, then forgets it', () => {
    const states = new SessionStates(10, 30_000);
    states.set('s1', live(ALICE), T0, states.generation);
    expect(states.get('s1', ALICE, T0 + 29_999)).toBe(true);
    expect(states.get('s1', ALICE, T0 + 30_000)).toBeUndefined();
    expect(states.size).toBe(0);

    states.set('s2', live(ALICE, T0 + 5_000), T0, states.generation);
    expect(states.get('s2', ALICE, T0 + 4_999)).toBe(true);
    expect(states.get('s2', ALICE, T0 + 5_000)).toBeUndefined();
  });

  it('remembers an ended session for good', () => {
    const states = new SessionStates(10, 30_000);
    states.set('s1', { userId: ALICE, live: false, expiresAtMs: T0 + 60_000 }, T0, states.generation);
    states.set('s2', live(ALICE, T0 - 1), T0, states.generation);
    expect(states.get('s1', ALICE, T0 + 86_400_000)).toBe(false);
    expect(states.get('s2', ALICE, T0 + 86_400_000)).toBe(false);
  });

  it('drops one session, or every session of a user', () => {
    const states = new SessionStates(10, 30_000);
    for (const [id, user] of [
      ['a1', ALICE],
      ['a2', ALICE],
      ['b1', BOB],
    ] as const) {
      states.set(id, live(user), T0, states.generation);
    }
    states.dropSession('a1');
    expect(states.get('a1', ALICE, T0)).toBeUndefined();
    expect(states.get('a2', ALICE, T0)).toBe(true);
    states.dropUser(ALICE);
    expect(states.get('a2', ALICE, T0)).toBeUndefined();
    expect(states.get('b1', BOB, T0)).toBe(true);
    expect(states.size).toBe(1);
  });

  it('refuses the answer of a read that was in flight across a drop', () => {
    const states = new SessionStates(10, 30_000);
    const before = states.generation;
    states.dropUser(ALICE);
    states.set('s1', live(ALICE), T0, before);
    expect(states.get('s1', ALICE, T0)).toBeUndefined();
    states.set('s1', live(ALICE), T0, states.generation);
    expect(states.get('s1', ALICE, T0)).toBe(true);
  });

  it('keeps at most `capacity` sessions, dropping the oldest stored', () => {
    const states = new SessionStates(2, 30_000);
    for (const id of ['s1', 's2', 's3']) states.set(id, live(ALICE), T0, states.generation);
    expect(states.size).toBe(2);
    expect(states.get('s1', ALICE, T0)).toBeUndefined();
    expect(states.get('s3', ALICE, T0)).toBe(true);
    states.dropUser(ALICE);
    expect(states.size).toBe(0);
  });

  it('with a TTL of 0 keeps no live session (every request reads) but still remembers ended ones', () => {
    const states = new SessionStates(10, 0);
    states.set('s1', live(ALICE), T0, states.generation);
    states.set('s2', { userId: ALICE, live: false, expiresAtMs: T0 }, T0, states.generation);
    expect(states.get('s1', ALICE, T0)).toBeUndefined();
    expect(states.get('s2', ALICE, T0)).toBe(false);
  });
});
