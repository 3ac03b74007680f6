/**
 * The V8 flags the server runs with. They go on the command line (package.json's `start`), not into
 * `v8.setFlagsFromString` at import: a flag flipped from code also flips for whatever imports the module (the test
 * process, a tool) and lands after V8 has already made decisions for the code that loaded first.
 *
 * `--no-allocation-site-pretenuring`: V8 allocates an object straight in the old generation once most objects from
 * its allocation site have survived a young-generation collection. Boot and the first requests trip that for sites
 * the hot paths share (pg's row parsing among them), and in our runs the decision was not revisited: from then on
 * every row of every request was garbage only a full mark-compact collects (docs/PERFORMANCE.md, V8 flags).
 *
 * `--v8-pool-size=1` (Node's option for V8's platform): one background thread for V8's concurrent work instead of
 * four. Each of those threads that compiles code keeps a malloc arena of its own, and the compiler memory freed after
 * embedded PGlite's WebAssembly was compiled stayed resident in each, for good; on the machine we measure on, one
 * thread lost nothing on the latency and streaming figures. On a large host under heavy load, more GC helpers may help:
 * start `node` yourself without it (docs/PERFORMANCE.md, V8 flags).
 */
export const SERVER_V8_FLAGS: readonly string[] = ['--no-allocation-site-pretenuring', '--v8-pool-size=1'];
