const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// OData's key-as-parentheses form, `name('key')` or `name(key)`; `''` is an escaped quote inside the key.
const KEY_IN_PARENTHESES = /^([^()']+)\((?:'((?:[^']|'')*)'|([^()']*))\)$/;

export function isGuid(value: string): boolean {
  return GUID.test(value);
}

/** The value under `key`; a GUID key matches in any casing, as Graph's keys do, other keys only exactly. */
export function findByKey<T>(map: ReadonlyMap<string, T>, key: string): T | undefined {
  const exact = map.get(key);
  if (exact !== undefined || !isGuid(key)) return exact;
  const lower = key.toLowerCase();
  for (const [candidate, value] of map) if (candidate.toLowerCase() === lower) return value;
  return undefined;
}

/**
 * The decoded segments of a path after the version root, each `name('key')` split into `name` and `key`
 * (Graph accepts both spellings: `deviceConfigurations('ID')` ≡ `deviceConfigurations/ID`).
 * `undefined` when the percent-encoding is broken.
 * https://docs.oasis-open.org/odata/odata/v4.01/odata-v4.01-part2-url-conventions.html#sec_KeyasSegmentConvention
 */
export function pathSegments(rawPath: string): string[] | undefined {
  const segments: string[] = [];
  for (const raw of rawPath.split('/').slice(1)) {
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return undefined;
    }
    const keyed = KEY_IN_PARENTHESES.exec(segment);
    if (!keyed?.[1]) segments.push(segment);
    else segments.push(keyed[1], keyed[2]?.replace(/''/g, "'") ?? keyed[3] ?? '');
  }
  return segments;
}

/**
 * A collection path as Intune writes it in its links: the configuration's key in parentheses, a GUID in upper
 * case (`/deviceManagement/deviceConfigurations('6A1F…')/userStatuses`).
 */
export function intunePath(segments: readonly string[]): string {
  const [root = '', collection = '', key = '', ...rest] = segments;
  const id = isGuid(key) ? key.toUpperCase() : key;
  const quoted = `'${encodeURIComponent(id.replace(/'/g, "''"))}'`;
  return [`/${root}`, `${collection}(${quoted})`, ...rest.map(encodeURIComponent)].join('/');
}
