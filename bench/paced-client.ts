// The paced GET client in a process of its own (forked by `pacedGetInChild`): a fresh heap with nothing else on its
// event loop, so its own pauses (the bench process has by then held thousands of streams' results) do not land in
// the latencies it measures.
import { pacedGet } from './http-load.js';

interface PacedArgs {
  url: string;
  headers: Array<Record<string, string>>;
  rate: number;
  durationS: number;
  warmupS: number;
  slowMs: number;
}

const args = JSON.parse(process.argv[2] ?? '{}') as PacedArgs;
pacedGet(args.url, args.headers, args.rate, args.durationS, args.warmupS, args.slowMs).then(
  (result) => process.send?.({ result }, () => process.exit(0)),
  (err: unknown) => process.send?.({ error: String(err) }, () => process.exit(1)),
);
