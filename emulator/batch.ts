import { graphError } from './answer';
import type { EmulatorAnswer } from './answer';

/** One request inside a `$batch` body, checked. */
export interface BatchRequestItem {
  readonly id: string;
  readonly method: string;
  /** Relative to the version root, query string included. */
  readonly url: string;
  readonly body: string;
  /** The item's own headers, names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
}

export const EMULATOR_MAX_BATCH_SIZE = 20;

function readItems(body: string): BatchRequestItem[] | EmulatorAnswer {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return graphError(400, 'BadRequest', 'Unable to read JSON request payload.');
  }
  const requests = (parsed as { requests?: unknown } | null)?.requests;
  if (!Array.isArray(requests) || requests.length === 0)
    return graphError(400, 'BadRequest', 'The batch request must contain a requests array.');
  if (requests.length > EMULATOR_MAX_BATCH_SIZE)
    return graphError(
      400,
      'BadRequest',
      `Maximum number of requests in a batch is ${EMULATOR_MAX_BATCH_SIZE}.`,
    );
  const items: BatchRequestItem[] = [];
  const ids = new Set<string>();
  for (const request of requests as Array<Record<string, unknown>>) {
    const { id, method, url } = request ?? {};
    if (
      typeof id !== 'string' ||
      typeof method !== 'string' ||
      typeof url !== 'string' ||
      !url.startsWith('/')
    )
      return graphError(
        400,
        'BadRequest',
        'Each batch request needs an id, a method and a relative url.',
      );
    if (ids.has(id))
      return graphError(400, 'BadRequest', `Batch request id '${id}' is used twice.`);
    ids.add(id);
    const hasBody = request.body !== undefined;
    const headers = itemHeaders(request.headers);
    if (hasBody && headers['content-type'] === undefined)
      return graphError(
        400,
        'BadRequest',
        `Batch request '${id}' has a body but no Content-Type header.`,
      );
    items.push({
      id,
      method: method.toUpperCase(),
      url,
      body: hasBody ? JSON.stringify(request.body) : '',
      headers,
    });
  }
  return items;
}

function itemHeaders(raw: unknown): Record<string, string> {
  if (typeof raw !== 'object' || raw === null) return {};
  return Object.fromEntries(
    Object.entries(raw)
      .filter((entry): entry is [string, string] => typeof entry[1] === 'string')
      .map(([name, value]) => [name.toLowerCase(), value]),
  );
}

/** Shuffles in place: Graph answers batch items in any order, and clients must match them by id. */
function shuffle<T>(items: T[]): T[] {
  for (let index = items.length - 1; index > 0; index -= 1) {
    const other = Math.floor(Math.random() * (index + 1));
    [items[index], items[other]] = [items[other]!, items[index]!];
  }
  return items;
}

/**
 * Graph JSON batching: each item answered on its own (status, headers, body), in shuffled order.
 * https://learn.microsoft.com/graph/json-batching
 */
export function handleBatch(
  body: string,
  answer: (item: BatchRequestItem) => EmulatorAnswer,
): EmulatorAnswer {
  const items = readItems(body);
  if (!Array.isArray(items)) return items;
  const responses = items.map((item) => {
    const result = answer(item);
    const headers: Record<string, string> = { ...result.headers };
    if (result.body) headers['Content-Type'] = 'application/json';
    return {
      id: item.id,
      status: result.status,
      headers,
      ...(result.body ? { body: result.body } : {}),
    };
  });
  return { status: 200, body: { responses: shuffle(responses) } };
}
