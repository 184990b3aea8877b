// The test environment: Node's (jest-environment-node), and a jest worker that, once it has nothing left to do,
// exits at once instead of first freeing its heap.
//
// Why: a worker whose event loop has drained (its last runner done, every handle closed) returns from Node's main
// loop, and Node then disposes the V8 isolate, freeing the heap page by page: with a few hundred MB of heap (a
// runner's modules, its gateways and emulators), strace showed 746 munmap calls and 350 ms between the exit event
// and exit_group on this project's 2-core machine, more under load. Jest waits half a second for a worker, then
// kills it and prints "A worker process has failed to exit gracefully … tests leaking". `process.exit()` ends the
// process without that teardown. 'beforeExit' comes only when nothing is left to wait for, so a worker held open
// by a real leak (a server, a socket, a timer) is still reported.
const { TestEnvironment } = require('jest-environment-node');

if (process.env.JEST_WORKER_ID !== undefined && process.send !== undefined)
  process.once('beforeExit', (code) => process.exit(code));

module.exports = TestEnvironment;
