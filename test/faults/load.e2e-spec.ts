import { randomUUID } from 'node:crypto';
import { useFaultSuite } from '../support/fault-suite.js';
import { assertServerBuilt, killAllServers, loginOver, spawnServer } from '../support/server-process.js';
import { streamChat } from '../support/sse.js';

beforeAll(assertServerBuilt);
afterAll(killAllServers);

/** CI runs a short burst; `FAULT_LOAD_SECONDS=60 npx jest test/faults/load` is the full run (docs/FAULTS.md). */
const SECONDS = Number(process.env.FAULT_LOAD_SECONDS ?? 10);
const STREAMS = Number(process.env.FAULT_LOAD_STREAMS ?? 200);
const UPLOADERS = Number(process.env.FAULT_LOAD_UPLOADERS ?? 4);
const USERS = 20;

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
};

describe(`Fault: load — ${STREAMS} concurrent streams plus uploads for ${SECONDS} s`, () => {
  const suite = useFaultSuite('load');

  it(
    'zero 5xx, and every acknowledged message and upload is in the database',
    async () => {
      const server = spawnServer(
        suite.serverEnv({
          // Capacity is under test here, not the per-user limits (tested in test/security).
          MAX_CONCURRENT_RUNS_PER_USER: String(Math.ceil(STREAMS / USERS)),
          MAX_CONCURRENT_RUNS_PER_ADDRESS: String(STREAMS),
          RATE_LIMIT_CHAT_PER_MINUTE: '100000',
          RATE_LIMIT_DEFAULT_PER_MINUTE: '100000',
        }),
      );
      const url = await server.url;
      const tokens = await Promise.all(
        Array.from({ length: USERS }, (_, i) =>
          loginOver(url, { email: `load-${i}@example.com`, password: 'password-load' }),
        ),
      );

      const deadline = Date.now() + SECONDS * 1000;
      const statuses = new Map<number, number>();
      const count = (status: number) => statuses.set(status, (statuses.get(status) ?? 0) + 1);
      const acknowledged: Array<{ runId: string; content: string }> = [];
      const uploaded: string[] = [];
      const firstToken: number[] = [];
      const streamErrors: string[] = [];
      let completed = 0;

      const streamer = async (slot: number) => {
        const token = tokens[slot % USERS];
        while (Date.now() < deadline) {
          const content = `load ${slot} ${randomUUID()} [[deltas:10:100]]`;
          const sent = Date.now();
          let runId: string | undefined;
          let ttft = 0;
          const res = await streamChat(
            url,
            token,
            { messages: [{ role: 'user', content }] },
            {
              onEvent: (e) => {
                if (e.event === 'run_started') runId = e.json!.run_id as string;
                if (e.event === 'text_delta' && !ttft) ttft = Date.now() - sent;
              },
            },
          ).catch((err: Error) => ({ status: -1, events: [], done: false, error: err }));
          count(res.status);
          if (runId) acknowledged.push({ runId, content });
          if (ttft) firstToken.push(ttft);
          const finished = res.events.find((e) => e.event === 'run_finished')?.json;
          if (finished?.status === 'completed' && res.done) completed++;
          else if (res.status === 200) streamErrors.push(JSON.stringify(res.events.at(-1)?.json ?? res.events));
        }
      };
      const uploader = async (slot: number) => {
        const token = tokens[slot % USERS];
        while (Date.now() < deadline) {
          const content = `Load document ${slot} ${randomUUID()}.\n\n${'A paragraph about throughput. '.repeat(200)}`;
          const res = await fetch(`${url}/api/documents`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ content }),
          }).catch(() => ({ status: -1, json: async () => ({}) }));
          count(res.status);
          if (res.status === 201) uploaded.push(((await res.json()) as { id: string }).id);
        }
      };
      const started = Date.now();
      await Promise.all([
        ...Array.from({ length: STREAMS }, (_, i) => streamer(i)),
        ...Array.from({ length: UPLOADERS }, (_, i) => uploader(i)),
      ]);
      const elapsed = (Date.now() - started) / 1000;
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);

      const summary = {
        seconds: Math.round(elapsed * 10) / 10,
        streams: STREAMS,
        statuses: Object.fromEntries(statuses),
        acknowledged: acknowledged.length,
        completed,
        uploads: uploaded.length,
        ttft_p50_ms: percentile(firstToken, 0.5),
        ttft_p95_ms: percentile(firstToken, 0.95),
        store: suite.db.kind,
      };
      console.log(`Load: ${JSON.stringify(summary)}`);
      const fiveHundreds = [...statuses.entries()].filter(([s]) => s >= 500 || s < 0);
      expect(fiveHundreds).toEqual([]);
      expect(streamErrors).toEqual([]);
      expect(acknowledged.length).toBeGreaterThan(STREAMS);

      // Every acknowledged turn (run_started was sent, so it was committed) is stored once, its run completed.
      const runs = await suite.db.query<{ id: string; status: string; content: string }>(
        `SELECT r.id, r.status, m.content->0->>'text' AS content
         FROM runs r JOIN messages m ON m.conversation_id = r.conversation_id AND m.role = 'user'`,
      );
      const byRun = new Map(runs.map((r) => [r.id, r]));
      const missing = acknowledged.filter((a) => byRun.get(a.runId)?.content !== a.content);
      expect(missing).toEqual([]);
      expect(runs.filter((r) => r.status !== 'completed')).toEqual([]);
      const docs = await suite.db.query<{ id: string; chunk_count: number }>(`SELECT id, chunk_count FROM documents`);
      const docIds = new Set(docs.map((d) => d.id));
      expect(uploaded.filter((id) => !docIds.has(id))).toEqual([]);
    },
    (SECONDS + 120) * 1000,
  );
});
