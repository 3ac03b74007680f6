import { clusterChannel } from './cluster-events.js';
import { LocalClusterEvents } from './local-cluster-events.js';

const PING = clusterChannel<{ n: number }>('test.ping');
const OTHER = clusterChannel<{ n: number }>('test.other');

describe('LocalClusterEvents', () => {
  it('delivers a copy of each message to every subscriber of its channel, after publish returns', async () => {
    const events = new LocalClusterEvents();
    const seen: Array<[string, number]> = [];
    const sent = { n: 1 };
    events.subscribe(PING, (m) => seen.push(['a', m.n]));
    events.subscribe(PING, (m) => {
      expect(m).not.toBe(sent);
      seen.push(['b', m.n]);
    });
    events.subscribe(OTHER, (m) => seen.push(['other', m.n]));
    await events.publish(PING, sent);
    expect(seen).toEqual([]);
    await new Promise((r) => setImmediate(r));
    expect(seen).toEqual([
      ['a', 1],
      ['b', 1],
    ]);
  });

  it('stops delivering after unsubscribe, and a failing handler does not stop the others', async () => {
    const events = new LocalClusterEvents();
    const seen: number[] = [];
    const off = events.subscribe(PING, (m) => seen.push(m.n));
    events.subscribe(PING, () => {
      throw new Error('boom');
    });
    await events.publish(PING, { n: 1 });
    await new Promise((r) => setImmediate(r));
    off();
    await events.publish(PING, { n: 2 });
    await new Promise((r) => setImmediate(r));
    expect(seen).toEqual([1]);
  });
});
