import { spawn } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * util-linux's `setpriv` (essential in Debian, so in CI) runs a program in its own place, same pid, with a parent
 * death signal (prctl PR_SET_PDEATHSIG) that survives the exec: the kernel kills it as soon as the process that
 * started it is gone, a jest worker killed with SIGKILL included. Node processes the tests start end the same way
 * through scripts/exit-with-parent.js; redis-server has no such hook of its own, and a runner that failed before its
 * teardown used to leave its servers running. https://man7.org/linux/man-pages/man2/PR_SET_PDEATHSIG.2const.html
 */
const SETPRIV = '/usr/bin/setpriv';

/** Where `setpriv` is missing (not Linux), the program runs as it is, with no tie to its parent. */
export function spawnTied(
  command: string,
  args: readonly string[],
  options: SpawnOptions,
): ChildProcess {
  if (!existsSync(SETPRIV)) return spawn(command, args, options);
  return spawn(SETPRIV, ['--pdeathsig', 'KILL', '--', command, ...args], options);
}
