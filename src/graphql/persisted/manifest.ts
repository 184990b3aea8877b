/**
 * Trusted documents: the manifest `{ "<id>": "<document>" }` that graphql-codegen's client preset writes with
 * `persistedDocuments: true` (`persisted-documents.json`, ids `sha256:<hex>` of the printed document), read once at
 * start. The ids follow the GraphQL-over-HTTP persisted documents appendix:
 * https://github.com/graphql/graphql-over-http/blob/main/spec/Appendix%20A%20--%20Persisted%20Documents.md
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Kind, parse } from 'graphql';

/** The documents of a manifest by id; only these ids ever become metric labels. */
export interface TrustedDocuments {
  /** Where the manifest was read from (for log lines). */
  readonly source: string;
  readonly size: number;
  /** The document a `documentId` names, exactly as the manifest writes the id. */
  byId(id: string): string | undefined;
  /** The document an APQ `sha256Hash` names: the id `sha256:<hash>` (codegen's form), or the plain hash. */
  byHash(sha256Hash: string): { readonly id: string; readonly document: string } | undefined;
}

export type ManifestResult =
  | { readonly ok: true; readonly documents: TrustedDocuments }
  | { readonly ok: false; readonly problem: string };

/** A prefixed (`sha256:…`, `x-…:…`) or custom identifier, as the appendix's grammar writes them. */
const DOCUMENT_ID =
  /^(?:sha256:[0-9a-f]{64}|x-[A-Za-z0-9._~-]+:[A-Za-z0-9._~-]+|[A-Za-z0-9._~-]+)$/;
/** Ids become metric labels and log fields: longer ones are no hash any tool writes. */
const MAX_ID_LENGTH = 200;

export const sha256Hex = (text: string): string =>
  createHash('sha256').update(text, 'utf8').digest('hex');

/** Why one entry cannot be trusted, or null when it can. */
function entryProblem(id: string, document: unknown): string | null {
  if (id.length > MAX_ID_LENGTH || !DOCUMENT_ID.test(id))
    return `has an id that is no document identifier (sha256:<64 hex>, x-<prefix>:<id> or letters, digits and -._~, at most ${MAX_ID_LENGTH}): "${id.slice(0, 80)}"`;
  if (typeof document !== 'string' || document.trim() === '')
    return `has no document text for "${id}"`;
  let definitions;
  try {
    definitions = parse(document, { noLocation: true }).definitions;
  } catch (error) {
    return `has a document that does not parse, "${id}": ${(error as Error).message}`;
  }
  if (
    definitions.some(
      (d) => d.kind !== Kind.OPERATION_DEFINITION && d.kind !== Kind.FRAGMENT_DEFINITION,
    )
  )
    return `has a document that is not executable (only operations and fragments), "${id}"`;
  if (!definitions.some((d) => d.kind === Kind.OPERATION_DEFINITION))
    return `has a document without an operation, "${id}"`;
  // The appendix: a sha256 id is the hash of the document's text. One that is not was edited by hand, and the
  // client that sends it runs something else than it was built with.
  if (id.startsWith('sha256:') && id !== `sha256:${sha256Hex(document)}`)
    return `has an id that is not the SHA-256 of its document, "${id}"`;
  return null;
}

/** Reads a manifest's text; every entry must be a trusted document, or none is. */
export function parseManifest(text: string, source: string): ManifestResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { ok: false, problem: `is not JSON: ${(error as Error).message}` };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    return { ok: false, problem: 'must be a JSON object { "<id>": "<document>" }' };
  const entries = Object.entries(json as Record<string, unknown>);
  if (entries.length === 0) return { ok: false, problem: 'holds no documents' };
  const documents = new Map<string, string>();
  for (const [id, document] of entries) {
    const problem = entryProblem(id, document);
    if (problem) return { ok: false, problem };
    documents.set(id, document as string);
  }
  return { ok: true, documents: createTrustedDocuments(documents, source) };
}

export function createTrustedDocuments(
  documents: ReadonlyMap<string, string>,
  source: string,
): TrustedDocuments {
  return {
    source,
    size: documents.size,
    byId: (id) => documents.get(id),
    byHash(sha256Hash) {
      for (const id of [`sha256:${sha256Hash}`, sha256Hash]) {
        const document = documents.get(id);
        if (document !== undefined) return { id, document };
      }
      return undefined;
    },
  };
}

/** The manifest at `file`, read and checked; a file that cannot be read says why. */
export function loadManifest(
  file: string,
  read: (file: string) => string = (name) => readFileSync(name, 'utf8'),
): ManifestResult {
  let text: string;
  try {
    text = read(file);
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    return { ok: false, problem: `cannot be read (${code ?? message}): ${file}` };
  }
  const result = parseManifest(text, file);
  return result.ok ? result : { ok: false, problem: `${file} ${result.problem}` };
}
