/**
 * What the one log line of a request reports (and its span's error code), filled in as the request runs. Read
 * anywhere through this read-only view; written only here: created with the request's state, the id of the document
 * it named, Graph's request ids as its calls answer, the operation's name and error codes once its answer is built.
 */
export interface RequestSummary {
  readonly operationName: string | null;
  /**
   * The document the request named instead of sending it: a trusted document's id, or `sha256:<hash>` for an
   * automatic persisted query; null for a document sent whole.
   */
  readonly documentId: string | null;
  readonly errorCodes: readonly string[];
  readonly graphRequestIds: readonly string[];
  readonly clientRequestId: string;
}

/** The same fields, writable: this module's own view. */
interface WritableSummary {
  operationName: string | null;
  documentId: string | null;
  errorCodes: readonly string[];
  graphRequestIds: string[];
  clientRequestId: string;
}

const NO_CODES: readonly string[] = [];

export function createRequestSummary(clientRequestId: string): RequestSummary {
  const summary: WritableSummary = {
    operationName: null,
    documentId: null,
    errorCodes: NO_CODES,
    graphRequestIds: [],
    clientRequestId,
  };
  return summary;
}

/** Graph answered one of the request's calls with this request id. */
export function recordGraphRequestId(summary: RequestSummary, requestId: string): void {
  (summary as WritableSummary).graphRequestIds.push(requestId);
}

/** The request named its document by this id (resolved before Apollo: src/server/persisted-documents.ts). */
export function recordDocumentId(summary: RequestSummary, documentId: string): void {
  (summary as WritableSummary).documentId = documentId;
}

/** The operation's answer is built: its (loggable) name and its errors' codes, each once, in order. */
export function recordOperation(
  summary: RequestSummary,
  operationName: string | null,
  codes: readonly string[],
): void {
  const writable = summary as WritableSummary;
  writable.operationName = operationName;
  if (codes.length > 0) writable.errorCodes = codes.length > 1 ? [...new Set(codes)] : [codes[0]!];
}
