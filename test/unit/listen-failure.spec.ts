import { listenFailure } from '../../src/server/listen-failure';

const settings = { port: 4000, host: '127.0.0.1', metricsPort: 9464 };
/** An error as Node's `listen` makes it: code, syscall, address and port. */
const listenError = (code: string, port: number, address = '127.0.0.1') =>
  Object.assign(new Error(`listen ${code}: ${address}:${port}`), {
    code,
    syscall: 'listen',
    address,
    port,
  });

describe('listenFailure: the fatal line when a listener cannot open', () => {
  it.each([
    [
      listenError('EADDRINUSE', 4000),
      'PORT',
      'Gateway failed to start: port 4000 (PORT, the gateway) is already in use, perhaps by another gateway. Pick a free port with PORT, for example PORT=4100.',
    ],
    [
      listenError('EADDRINUSE', 9464),
      'METRICS_PORT',
      'Gateway failed to start: port 9464 (METRICS_PORT, the metrics endpoint) is already in use, perhaps by another gateway. Pick a free port with METRICS_PORT, for example METRICS_PORT=9564.',
    ],
    [
      listenError('EADDRINUSE', 65500),
      'PORT',
      'port 65500 (PORT, the gateway) is already in use, perhaps by another gateway. Pick a free port with PORT, for example PORT=8080.',
    ],
    [
      listenError('EACCES', 80),
      'PORT',
      'this process may not listen on port 80 (PORT, the gateway); ports below 1024 need privileges. Pick a port from 1024 up with PORT.',
    ],
    [
      listenError('EADDRNOTAVAIL', 4000, '10.9.9.9'),
      'HOST',
      'HOST 10.9.9.9 is not an address of this machine. Set HOST to one of its addresses, or 0.0.0.0 for all of them.',
    ],
    // No port on the error: the gateway's own.
    [
      Object.assign(new Error('in use'), { code: 'EADDRINUSE' }),
      'PORT',
      'port 4000 (PORT, the gateway)',
    ],
  ])('%s → %s', (error, variable, message) => {
    expect(listenFailure(error, settings)).toEqual({
      variable,
      message: expect.stringContaining(message) as unknown,
    });
  });

  it('names PORT when METRICS_PORT is off', () => {
    expect(
      listenFailure(listenError('EADDRINUSE', 9464), { ...settings, port: 9464, metricsPort: null })
        ?.variable,
    ).toBe('PORT');
  });

  it.each([
    [new Error('boom')],
    [Object.assign(new Error('x'), { code: 'ECONNRESET' })],
    ['text'],
    [null],
  ])('leaves %p alone: not a listening problem', (error) => {
    expect(listenFailure(error, settings)).toBeUndefined();
  });
});
