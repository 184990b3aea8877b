import {
  createPrettyDestination,
  formatLogLine,
  isAddressInUse,
  portInUseMessage,
} from '../../emulator/demo/log';

const TIME = Date.UTC(2026, 10, 28, 13, 21, 16);

describe('the demo log: pino JSON lines made readable', () => {
  it.each([
    [
      {
        level: 40,
        time: TIME,
        pid: 1,
        hostname: 'h',
        msg: 'graph call failed',
        graph: { method: 'GET', status: 404, retryInMs: null },
      },
      '13:21:16 WARN  graph call failed  graph.method=GET  graph.status=404',
    ],
    [
      {
        level: 50,
        time: TIME,
        msg: 'request failed',
        err: { type: 'TypeError', message: 'x is not a function' },
      },
      '13:21:16 ERROR request failed  err="TypeError: x is not a function"',
    ],
    [
      {
        level: 30,
        time: TIME,
        msg: 'request completed',
        url: '/graphql',
        errorCodes: ['NOT_FOUND'],
        reqId: 'req-1',
      },
      '13:21:16 INFO  request completed  url=/graphql  errorCodes=["NOT_FOUND"]',
    ],
    [
      { level: 40, time: TIME, msg: 'a value with spaces', why: 'two words' },
      '13:21:16 WARN  a value with spaces  why="two words"',
    ],
  ])('%j', (entry, expected) => {
    expect(formatLogLine(JSON.stringify(entry))).toBe(expected);
  });

  it.each(['not json', '{"no":"level"}', '[1,2]'])('passes %s through as it is', (line) => {
    expect(formatLogLine(line)).toBe(line);
  });

  it('writes whole lines, indented, however the chunks are cut', () => {
    const out: string[] = [];
    const destination = createPrettyDestination({ write: (text: string) => out.push(text) });
    const line = JSON.stringify({ level: 40, time: TIME, msg: 'slow' });
    destination.write(line.slice(0, 10));
    destination.write(`${line.slice(10)}\n${line}\n`);
    expect(out).toEqual(['  13:21:16 WARN  slow\n', '  13:21:16 WARN  slow\n']);
  });
});

describe('a busy port', () => {
  it.each([
    [{ code: 'EADDRINUSE' }, true],
    [{ code: 'EACCES' }, false],
    [new Error('other'), false],
    [null, false],
  ])('%j is a port in use: %s', (error, expected) => {
    expect(isAddressInUse(error)).toBe(expected);
  });

  it('names the port, what holds it in the demo, and the variables that pick ports', () => {
    const message = portInUseMessage('the Graph emulator', 'EMULATOR_PORT', 4010);
    expect(message).toContain('port 4010 (the Graph emulator) is already in use');
    expect(message).toContain('PORT=4100 EMULATOR_PORT=4110 npm run demo');
    expect(message).toContain('EMULATOR_PORT is the one to change here');
  });
});
