// Preloaded into the processes tests start (`node --require ./scripts/exit-with-parent.js …`): such a process ends
// when the process that started it is gone.
//
// Why: a jest worker that dies (killed, crashed) leaves its gateways, emulators and demos running, and they keep
// the worker's stderr pipe open, which they inherited: jest then waits for that pipe to close and hangs with no
// output. Linux gives an orphan a new parent (`process.ppid` changes); checked twice a second, off the event
// loop's count of things to wait for.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.exit(1);
}, 500).unref();
