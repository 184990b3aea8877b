import { isConnectionLost } from '../../src/graph/quota/stores/redis-watch';

/** A reply error as ioredis makes them (redis-errors' ReplyError): Redis's own words, named so. */
function replyError(message: string): Error {
  const error = new Error(message);
  error.name = 'ReplyError';
  return error;
}

describe('isConnectionLost: what the quota store reports as an outage rather than an error of Redis', () => {
  it.each<[string, unknown, boolean]>([
    // ioredis's own words: the command never reached Redis, or lost the connection on the way
    [
      'a socket ended while ready',
      new Error("Stream isn't writeable and enableOfflineQueue options is false"),
      true,
    ],
    ['a connection closed', new Error('Connection is closed.'), true],
    [
      'the queue flushed at a drop',
      new Error(
        'Reached the max retries per request limit (which is 0). Refer to "maxRetriesPerRequest" option for details.',
      ),
      true,
    ],
    // Redis's own refusals, a timeout, anything else: not an outage of the connection
    ['OOM', replyError('OOM command not allowed when used memory > maxmemory.'), false],
    ['a reply that happens to say so', replyError('Connection is closed.'), false],
    ['a timeout', new Error('Command timed out'), false],
    ['a script error', new Error('ERR user_script:1: something'), false],
    ['the words later in a message', new Error('oops: Connection is closed.'), false],
    ['not an Error', 'Connection is closed.', false],
    ['nothing', undefined, false],
  ])('%s: %p', (_, error, lost) => {
    expect(isConnectionLost(error)).toBe(lost);
  });
});
