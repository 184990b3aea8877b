import pino from 'pino';
import type { DestinationStream, Logger } from 'pino';
import { createLogger, logRequestCompleted } from '../../src/observability/logging';
import type { RequestLine } from '../../src/observability/logging';
import { createRequestState } from '../../src/graphql/context';
import type { RequestSummary } from '../../src/observability/request-summary';

// `logRequestCompleted` writes the request's line itself instead of through pino's generic path: the two must
// write the same line. The clock is fixed so that pino's `time` is the same in both.
beforeEach(() => jest.useFakeTimers({ now: new Date('2026-11-29T03:00:00.000Z') }));
afterEach(() => jest.useRealTimers());

function memory(): DestinationStream & { lines: string[] } {
  const lines: string[] = [];
  return { lines, write: (line: string) => void lines.push(line) };
}

/** A per-request logger, as Fastify makes one: a child of ours with the request's id. */
function requestLogger(level: Parameters<typeof createLogger>[0] = 'info') {
  const destination = memory();
  return { log: createLogger(level, destination).child({ reqId: 'req-7' }), destination };
}

/** What the line was before: pino's `info` with the same fields. */
function throughPino(log: Logger, { method, url, statusCode, durationMs, summary }: RequestLine) {
  log.info({ method, url, statusCode, durationMs, ...summary }, 'request completed');
}

const summary = (fields: Partial<RequestSummary> = {}): RequestSummary => ({
  operationName: 'UpdateStatus',
  documentId: null,
  errorCodes: [],
  graphRequestIds: ['4f1d0e4a-9c1b-4c55-8f0e-5d2d3c1b2a10'],
  clientRequestId: '0b6f5b8e-3a4c-4d2e-9f1a-7c8d9e0f1a2b',
  ...fields,
});

const line = (fields: Partial<RequestLine> = {}): RequestLine => ({
  method: 'POST',
  url: '/graphql',
  statusCode: 200,
  durationMs: 12,
  summary: summary(),
  ...fields,
});

describe('the same line as pino writes', () => {
  it.each<[string, RequestLine]>([
    ['a GraphQL request', line()],
    [
      'no operation name, two error codes',
      line({ summary: summary({ operationName: null, errorCodes: ['NOT_FOUND', 'THROTTLED'] }) }),
    ],
    ['no Graph call', line({ summary: summary({ graphRequestIds: [] }) })],
    ['another route (no summary)', line({ method: 'GET', url: '/health/ready', summary: null })],
    [
      'quotes and backslashes',
      line({ url: '/graphql/"x"\\y', summary: summary({ operationName: 'a"b\\c' }) }),
    ],
    ['non-ASCII', line({ url: '/grâphql', summary: summary({ operationName: 'Ünïcode_名前' }) })],
    ['a long name', line({ summary: summary({ operationName: `Op${'x'.repeat(150)}` }) })],
    [
      'a trusted document id',
      line({ summary: summary({ documentId: `sha256:${'ab'.repeat(32)}` }) }),
    ],
    ['a custom document id', line({ summary: summary({ documentId: 'x-app:get"me' }) })],
    // The summary the gateway builds, whatever fields it gains: a field the template misses fails here.
    [
      'the summary of a real request',
      line({ summary: createRequestState({ headers: {} }).summary }),
    ],
  ])('%s', (_name, request) => {
    const ours = requestLogger();
    const theirs = requestLogger();

    logRequestCompleted(ours.log, request);
    throughPino(theirs.log, request);

    expect(ours.destination.lines).toEqual(theirs.destination.lines);
    expect(ours.destination.lines).toHaveLength(1);
  });

  // pino escapes control characters by falling back to JSON.stringify, and leaves a lone surrogate as it is;
  // JSON.stringify escapes both. Either way the line parses to the same record, and stays one line.
  it.each([
    ['a newline', 'Op\nevil": "forged'],
    ['a control character', 'Op\u0001'],
    ['a lone surrogate', 'Op\ud800'],
    ['a closing script tag', '</script><script>'],
  ])('hostile names: %s give one line with the same record', (_name, operationName) => {
    const ours = requestLogger();
    const theirs = requestLogger();
    const request = line({ summary: summary({ operationName }) });

    logRequestCompleted(ours.log, request);
    throughPino(theirs.log, request);

    const [written] = ours.destination.lines;
    expect(written!.trimEnd()).not.toContain('\n');
    expect(JSON.parse(written!)).toEqual(JSON.parse(theirs.destination.lines[0]!));
    expect((JSON.parse(written!) as { operationName: string }).operationName).toBe(operationName);
  });
});

describe('levels and other loggers', () => {
  it.each(['warn', 'error', 'silent'] as const)('at level %s nothing is written', (level) => {
    const { log, destination } = requestLogger(level);

    logRequestCompleted(log, line());

    expect(destination.lines).toEqual([]);
  });

  it('a level lowered after start (a child at debug under a warn root) still writes', () => {
    const { log, destination } = requestLogger('warn');
    const child = log.child({}, { level: 'debug' });

    logRequestCompleted(child, line());

    expect(destination.lines).toHaveLength(1);
  });

  it('a logger not built by createLogger goes through pino, with its own options', () => {
    const destination = memory();
    const log = pino({ messageKey: 'message', base: null }, destination);

    logRequestCompleted(log, line());

    expect(JSON.parse(destination.lines[0]!)).toMatchObject({
      message: 'request completed',
      operationName: 'UpdateStatus',
    });
    expect(destination.lines[0]).not.toContain('"pid"');
  });

  it('a destination that wants pino metadata (as pino.multistream does) gets it', () => {
    const destination = Object.assign(memory(), {
      [pino.symbols.needsMetadataGsym]: true,
      lastMsg: undefined as string | undefined,
      lastLevel: undefined as number | undefined,
    });
    const log = createLogger('info', destination);

    logRequestCompleted(log, line());

    expect(destination.lastMsg).toBe('request completed');
    expect(destination.lastLevel).toBe(30);
    expect(destination.lines).toHaveLength(1);
  });
});
