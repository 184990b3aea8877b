/** Operation names written to logs and spans are cut to this many characters. */
export const MAX_LOGGED_OPERATION_NAME = 100;

/** Distinct operation names that may become metric labels; later names are counted as `other`. */
export const MAX_OPERATION_LABELS = 100;

// Prometheus label values can hold anything, but a GraphQL name is `[_A-Za-z][_0-9A-Za-z]*`; 64 characters is
// plenty for a real one.
const LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/**
 * An operation name fit for a log line or a span: a caller may send 45,000 characters of name, and every log line
 * and span would carry them.
 */
export function loggableOperationName(name: string | null | undefined): string | null {
  if (!name) return null;
  if (name.length <= MAX_LOGGED_OPERATION_NAME) return name;
  return `${name.slice(0, MAX_LOGGED_OPERATION_NAME)}…`;
}

export interface OperationLabels {
  /**
   * The `operation` label for a name. `served` says whether Graph accepted the caller's token for this operation:
   * only then may a new name take one of the slots.
   */
  label(name: string | null | undefined, served: boolean): string;
}

/**
 * Operation names become metric labels first come, first served, up to MAX_OPERATION_LABELS, and a slot is taken
 * only by an operation that Graph served (it called Graph, Graph has accepted its token, and no answer was 401 or
 * 403). Names come from the
 * caller, and unauthenticated callers are free to send any: were every name admitted, a hundred junk names would
 * fill the slots for good and count every real operation as `other` until restart. Proving a token Graph accepts
 * is the price of a slot, so only callers of the tenant can spend them, and their names are the ones dashboards
 * want. A name already admitted is counted under its name whoever sends it (that adds no series). An eviction
 * scheme (LRU) would not help: whatever evicts can be driven by the same junk, and dropping a series resets its
 * counters in Prometheus.
 */
export function createOperationLabels(capacity = MAX_OPERATION_LABELS): OperationLabels {
  const admitted = new Set<string>();
  return {
    label(name, served) {
      if (!name) return 'anonymous';
      if (!LABEL_NAME.test(name)) return 'invalid';
      if (admitted.has(name)) return name;
      if (!served || admitted.size >= capacity) return 'other';
      admitted.add(name);
      return name;
    },
  };
}
