// The paced GET client, forked by `pacedGetInChild` so that its timings are its own.
import { pacedGet } from './http-load.js';

const args = JSON.parse(process.argv[2] ?? '[]') as Parameters<typeof pacedGet>;
pacedGet(...args).then(
  (result) => process.send?.({ result }, () => process.exit(0)),
  (err: unknown) => process.send?.({ error: String(err) }, () => process.exit(1)),
);
