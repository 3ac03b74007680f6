// Creates an embedded PGlite database directory, then exits. Run by PgliteWorker as a process of its own: creating a
// database runs initdb in a second PGlite inside PGlite's own, and what that leaves behind (WebAssembly memories,
// compiler memory kept by the C allocator) leaves with this process instead of staying in the server's for good.
// Plain ESM JavaScript, as the worker beside it: Node runs this file directly, from dist/ and under Jest.
//
// argv: dataDir, then the start parameters (added to PGlite's own) as JSON. Exit 0 once the directory is made and
// closed (flushed); otherwise 1, with PGlite's reason alone on stderr.
import process from 'node:process';
import { PGlite } from '@electric-sql/pglite';
import { describePgliteError } from './pglite-error.mjs';

const [dataDir, startParams] = process.argv.slice(2);
try {
  const db = await PGlite.create(dataDir, {
    startParams: [...PGlite.defaultStartParams, ...JSON.parse(startParams)],
  });
  await db.close();
} catch (err) {
  process.stderr.write(describePgliteError(err));
  process.exitCode = 1;
}
