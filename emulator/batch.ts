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
  /** The ids of the items that must succeed before this one runs, as sent. */
  readonly dependsOn: readonly string[];
}

/** The item a dependent was not run for: it failed with `status`. */
export interface FailedDependency {
  readonly id: string;
  readonly status: number;
}

export const EMULATOR_MAX_BATCH_SIZE = 20;

const badRequest = (message: string) => graphError(400, 'BadRequest', message);
/** Batch ids are not case-sensitive (https://learn.microsoft.com/graph/json-batching): `A` and `a` are one id. */
const idKey = (id: string) => id.toLowerCase();

function readRequests(body: string): unknown[] | EmulatorAnswer {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return badRequest('Unable to read JSON request payload.');
  }
  const requests = (parsed as { requests?: unknown } | null)?.requests;
  if (!Array.isArray(requests) || requests.length === 0)
    return badRequest('The batch request must contain a requests array.');
  if (requests.length > EMULATOR_MAX_BATCH_SIZE)
    return badRequest(`Maximum number of requests in a batch is ${EMULATOR_MAX_BATCH_SIZE}.`);
  return requests as unknown[];
}

function readItem(raw: unknown): BatchRequestItem | EmulatorAnswer {
  const request = (raw ?? {}) as Record<string, unknown>;
  const { id, method, url, dependsOn } = request;
  if (
    typeof id !== 'string' ||
    typeof method !== 'string' ||
    typeof url !== 'string' ||
    !url.startsWith('/')
  )
    return badRequest('Each batch request needs an id, a method and a relative url.');
  if (
    dependsOn !== undefined &&
    !(Array.isArray(dependsOn) && dependsOn.every((entry) => typeof entry === 'string'))
  )
    return badRequest(`Batch request '${id}' has a dependsOn that is not an array of request ids.`);
  const hasBody = request.body !== undefined;
  const headers = itemHeaders(request.headers);
  if (hasBody && headers['content-type'] === undefined)
    return badRequest(`Batch request '${id}' has a body but no Content-Type header.`);
  return {
    id,
    method: method.toUpperCase(),
    url,
    body: hasBody ? JSON.stringify(request.body) : '',
    headers,
    dependsOn: dependsOn ?? [],
  };
}

function readItems(body: string): BatchRequestItem[] | EmulatorAnswer {
  const requests = readRequests(body);
  if (!Array.isArray(requests)) return requests;
  const items: BatchRequestItem[] = [];
  const ids = new Set<string>();
  for (const raw of requests) {
    const item = readItem(raw);
    if (!('id' in item)) return item;
    if (ids.has(idKey(item.id))) return badRequest(`Batch request id '${item.id}' is used twice.`);
    ids.add(idKey(item.id));
    items.push(item);
  }
  for (const item of items)
    for (const needed of item.dependsOn)
      if (!ids.has(idKey(needed)) || idKey(needed) === idKey(item.id))
        return badRequest(
          `Batch request '${item.id}' depends on '${needed}', which is not another request of the batch.`,
        );
  return items;
}

/**
 * The order the items run in: each after the items it depends on, otherwise as sent (`dependsOn`,
 * https://learn.microsoft.com/graph/json-batching#sequencing-requests-with-the-dependson-property). A cycle is a
 * malformed batch.
 */
function runOrder(items: readonly BatchRequestItem[]): BatchRequestItem[] | EmulatorAnswer {
  const done = new Set<string>();
  const order: BatchRequestItem[] = [];
  while (order.length < items.length) {
    const next = items.find(
      (item) =>
        !done.has(idKey(item.id)) && item.dependsOn.every((needed) => done.has(idKey(needed))),
    );
    if (!next) {
      const stuck = items.filter((item) => !done.has(idKey(item.id))).map((item) => `'${item.id}'`);
      return badRequest(`The dependsOn of batch requests ${stuck.join(', ')} form a cycle.`);
    }
    done.add(idKey(next.id));
    order.push(next);
  }
  return order;
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
 * Graph JSON batching: each item answered on its own (status, headers, body), in shuffled order. Items run after
 * the items they depend on; when one of those failed (status 400 or more), `answer` gets it as `failed` and must
 * answer 424 without running the item. https://learn.microsoft.com/graph/json-batching
 */
export function handleBatch(
  body: string,
  answer: (item: BatchRequestItem, failed?: FailedDependency) => EmulatorAnswer,
): EmulatorAnswer {
  const items = readItems(body);
  if (!Array.isArray(items)) return items;
  const order = runOrder(items);
  if (!Array.isArray(order)) return order;
  const statuses = new Map<string, FailedDependency>();
  const responses = order.map((item) => {
    const failed = item.dependsOn
      .map((needed) => statuses.get(idKey(needed))!)
      .find((dependency) => dependency.status >= 400);
    const result = answer(item, failed);
    statuses.set(idKey(item.id), { id: item.id, status: result.status });
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
