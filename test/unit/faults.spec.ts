import { FaultSwitches, parseFaultSpec } from '../../emulator/faults';

describe('parseFaultSpec', () => {
  it('reads rules separated by ;', () => {
    expect(
      parseFaultSpec(
        'PATCH /userStatuses/ status=429 retryAfter=2 times=3; * * delayMs=500; GET /x reset=mid-body; get * status=302 location=http://evil.example/',
      ),
    ).toEqual([
      { method: 'PATCH', path: '/userStatuses/', status: 429, retryAfter: '2', times: 3 },
      { delayMs: 500 },
      { method: 'GET', path: '/x', reset: 'mid-body' },
      { method: 'GET', status: 302, headers: { Location: 'http://evil.example/' } },
    ]);
  });

  it('reads an HTTP date as Retry-After and every body kind', () => {
    expect(parseFaultSpec('* * status=429 retryAfter=Sat,_28_Nov_2026_10:00:00_GMT')).toEqual([
      { status: 429, retryAfter: 'Sat, 28 Nov 2026 10:00:00 GMT' },
    ]);
    expect(parseFaultSpec('* * body=oversized size=6000000 hang')).toEqual([
      { body: 'oversized', size: 6000000, hang: true },
    ]);
  });

  it.each([
    ['GET', 'must read METHOD PATH key=value'],
    ['GET * nonsense=1', 'unknown fault key "nonsense"'],
    ['GET * status=abc', 'status must be a whole number'],
    ['GET * body=xml', 'body must be one of'],
    ['GET * reset=later', 'reset must be one of'],
  ])('refuses %j', (spec, message) => {
    expect(() => parseFaultSpec(spec)).toThrow(message);
  });
});

describe('FaultSwitches', () => {
  it('matches by method and path and drops a rule after its times', () => {
    const faults = new FaultSwitches();
    faults.add({ method: 'PATCH', path: '/userStatuses/', status: 503, times: 2 });
    expect(faults.take('GET', '/a/userStatuses/b')).toBeUndefined();
    expect(faults.take('PATCH', '/a/userStatuses/b')?.status).toBe(503);
    expect(faults.take('PATCH', '/a/userStatuses/b')?.status).toBe(503);
    expect(faults.take('PATCH', '/a/userStatuses/b')).toBeUndefined();
  });

  it('applies a rule to its share of requests', () => {
    const faults = new FaultSwitches();
    faults.add({ status: 500, probability: 0.25 });
    expect(faults.take('GET', '/x', () => 0.2)?.status).toBe(500);
    expect(faults.take('GET', '/x', () => 0.3)).toBeUndefined();
    expect(parseFaultSpec('* * status=500 probability=0.1')).toEqual([
      { status: 500, probability: 0.1 },
    ]);
    expect(() => parseFaultSpec('* * status=500 probability=2')).toThrow('probability');
  });

  it('matches a RegExp path', () => {
    const faults = new FaultSwitches();
    faults.add({ path: /rootCertificate/, status: 404 });
    expect(faults.take('GET', '/c/rootCertificate/userStatuses/s')?.status).toBe(404);
    expect(faults.take('GET', '/c/userStatuses/s')).toBeUndefined();
  });
});
