import { createOperationScope } from '../../src/graph/client/operation';
import type { OperationScope } from '../../src/graph/client/operation';
import { systemClock } from '../../src/graph/client/retry-loop';

/**
 * An operation's scope on the real clock, as production gives every attempt: it times the transport's attempts
 * and is the one way to cancel them (`end()`).
 */
export function operationScope(deadlineMs = 60_000): OperationScope {
  return createOperationScope({ deadline: Date.now() + deadlineMs, clock: systemClock });
}
