import { createHash } from 'node:crypto';
import { createTrustedDocuments } from '../../src/graphql/persisted/manifest';
import { resolvePersisted } from '../../src/graphql/persisted/resolve';
import type {
  PersistedParams,
  PersistedPolicy,
  Resolution,
} from '../../src/graphql/persisted/resolve';

const hex = (text: string) => createHash('sha256').update(text).digest('hex');
const TRUSTED = 'query Trusted { __typename }';
const TRUSTED_ID = `sha256:${hex(TRUSTED)}`;
const OTHER = 'query Other { __typename }';
const trusted = createTrustedDocuments(new Map([[TRUSTED_ID, TRUSTED]]), 'm.json');

const APQ: PersistedPolicy = { trusted: null, trustedOnly: false, apq: true };
const APQ_AND_MANIFEST: PersistedPolicy = { trusted, trustedOnly: false, apq: true };
const NOTHING: PersistedPolicy = { trusted: null, trustedOnly: false, apq: false };
const MANIFEST_NO_APQ: PersistedPolicy = { trusted, trustedOnly: false, apq: false };
const ONLY: PersistedPolicy = { trusted, trustedOnly: true, apq: false };

const pq = (sha256Hash: unknown, version: unknown = 1) => ({
  persistedQuery: { version, sha256Hash },
});
const params = (fields: Partial<PersistedParams>): PersistedParams => ({
  query: undefined,
  documentId: undefined,
  extensions: undefined,
  ...fields,
});

const inline: Resolution = { kind: 'inline' };
const apq = (text: string): Resolution => ({ kind: 'apq', id: `sha256:${hex(text)}` });
const runsTrusted: Resolution = { kind: 'trusted', id: TRUSTED_ID, document: TRUSTED };
const refused = (status: number, code: string) =>
  expect.objectContaining({ kind: 'refused', status, code }) as unknown;

describe('which document a request runs, decided before parsing', () => {
  it.each<[string, PersistedPolicy, Partial<PersistedParams>, unknown]>([
    // A document sent whole.
    ['a document, APQ on', APQ, { query: OTHER }, inline],
    ['a document, nothing persisted configured', NOTHING, { query: OTHER }, inline],
    ['nothing at all (Apollo answers it)', APQ, {}, inline],
    // Automatic persisted queries (Apollo's cache decides hit or PERSISTED_QUERY_NOT_FOUND).
    ['a hash alone', APQ, { extensions: pq(hex(OTHER)) }, apq(OTHER)],
    [
      'a document with its hash (registration)',
      APQ,
      { query: OTHER, extensions: pq(hex(OTHER)) },
      apq(OTHER),
    ],
    [
      "urql's retry after a miss (miss: true beside the hash)",
      APQ,
      {
        query: OTHER,
        extensions: { persistedQuery: { version: 1, sha256Hash: hex(OTHER), miss: true } },
      },
      apq(OTHER),
    ],
    [
      'a document with the hash of another',
      APQ,
      { query: OTHER, extensions: pq(hex(TRUSTED)) },
      refused(400, 'PERSISTED_QUERY_HASH_MISMATCH'),
    ],
    [
      'a hash in upper case',
      APQ,
      { extensions: pq(hex(OTHER).toUpperCase()) },
      refused(400, 'BAD_REQUEST'),
    ],
    ['a hash that is no SHA-256', APQ, { extensions: pq('abc') }, refused(400, 'BAD_REQUEST')],
    ['a hash that is a number', APQ, { extensions: pq(42) }, refused(400, 'BAD_REQUEST')],
    ['version 2', APQ, { extensions: pq(hex(OTHER), 2) }, refused(400, 'BAD_REQUEST')],
    [
      'persistedQuery: null',
      APQ,
      { extensions: { persistedQuery: null } },
      refused(400, 'BAD_REQUEST'),
    ],
    [
      'a query that is no string, with a hash',
      APQ,
      { query: 42, extensions: pq(hex(OTHER)) },
      refused(400, 'PERSISTED_QUERY_HASH_MISMATCH'),
    ],
    [
      'APQ off: left to Apollo (PERSISTED_QUERY_NOT_SUPPORTED, clients resend)',
      NOTHING,
      { extensions: pq(hex(OTHER)) },
      inline,
    ],
    [
      'APQ off, a wrong hash: still Apollo’s NOT_SUPPORTED',
      NOTHING,
      { query: OTHER, extensions: pq(hex(TRUSTED)) },
      inline,
    ],
    // Trusted documents.
    ['a documentId of the manifest', APQ_AND_MANIFEST, { documentId: TRUSTED_ID }, runsTrusted],
    [
      'an APQ hash of the manifest: trusted, not registered',
      APQ_AND_MANIFEST,
      { extensions: pq(hex(TRUSTED)) },
      runsTrusted,
    ],
    [
      'an APQ hash of the manifest with its document',
      APQ_AND_MANIFEST,
      { query: TRUSTED, extensions: pq(hex(TRUSTED)) },
      runsTrusted,
    ],
    [
      'an APQ hash of the manifest, APQ off',
      MANIFEST_NO_APQ,
      { extensions: pq(hex(TRUSTED)) },
      runsTrusted,
    ],
    [
      'an unknown documentId',
      APQ_AND_MANIFEST,
      { documentId: 'sha256:' + '0'.repeat(64) },
      refused(404, 'PERSISTED_QUERY_NOT_IN_LIST'),
    ],
    [
      'a documentId and a document',
      APQ_AND_MANIFEST,
      { documentId: TRUSTED_ID, query: TRUSTED },
      refused(400, 'BAD_REQUEST'),
    ],
    [
      'a documentId and a hash',
      APQ_AND_MANIFEST,
      { documentId: TRUSTED_ID, extensions: pq(hex(TRUSTED)) },
      refused(400, 'BAD_REQUEST'),
    ],
    [
      'a documentId that is a number',
      APQ_AND_MANIFEST,
      { documentId: 7 },
      refused(400, 'BAD_REQUEST'),
    ],
    [
      'a documentId sent twice (GET: a list)',
      APQ_AND_MANIFEST,
      { documentId: [TRUSTED_ID, TRUSTED_ID] },
      refused(400, 'BAD_REQUEST'),
    ],
    ['an empty documentId', APQ_AND_MANIFEST, { documentId: '' }, refused(400, 'BAD_REQUEST')],
    [
      'a documentId of 201 characters',
      APQ_AND_MANIFEST,
      { documentId: 'a'.repeat(201) },
      refused(400, 'BAD_REQUEST'),
    ],
    [
      'a documentId without a manifest',
      APQ,
      { documentId: TRUSTED_ID },
      refused(400, 'PERSISTED_QUERY_NOT_SUPPORTED'),
    ],
    [
      'documentId: null is no documentId',
      APQ_AND_MANIFEST,
      { documentId: null, query: OTHER },
      inline,
    ],
    ['a document beside the manifest (allowlist off)', APQ_AND_MANIFEST, { query: OTHER }, inline],
    // The allowlist: only the manifest's documents.
    ['allowlist: a documentId of the manifest', ONLY, { documentId: TRUSTED_ID }, runsTrusted],
    ['allowlist: an APQ hash of the manifest', ONLY, { extensions: pq(hex(TRUSTED)) }, runsTrusted],
    [
      'allowlist: the trusted document with its hash',
      ONLY,
      { query: TRUSTED, extensions: pq(hex(TRUSTED)) },
      runsTrusted,
    ],
    [
      'allowlist: an arbitrary document',
      ONLY,
      { query: OTHER },
      refused(400, 'PERSISTED_QUERY_ID_REQUIRED'),
    ],
    [
      'allowlist: the trusted text sent whole, without an id',
      ONLY,
      { query: TRUSTED },
      refused(400, 'PERSISTED_QUERY_ID_REQUIRED'),
    ],
    ['allowlist: nothing at all', ONLY, {}, refused(400, 'PERSISTED_QUERY_ID_REQUIRED')],
    [
      'allowlist: an unknown documentId',
      ONLY,
      { documentId: 'get-v9' },
      refused(404, 'PERSISTED_QUERY_NOT_IN_LIST'),
    ],
    [
      'allowlist: an unknown APQ hash',
      ONLY,
      { extensions: pq(hex(OTHER)) },
      refused(404, 'PERSISTED_QUERY_NOT_IN_LIST'),
    ],
    [
      'allowlist: an APQ registration',
      ONLY,
      { query: OTHER, extensions: pq(hex(OTHER)) },
      refused(404, 'PERSISTED_QUERY_NOT_IN_LIST'),
    ],
    [
      'allowlist: a registration under a trusted hash',
      ONLY,
      { query: OTHER, extensions: pq(hex(TRUSTED)) },
      refused(400, 'PERSISTED_QUERY_HASH_MISMATCH'),
    ],
    [
      'allowlist: a query that is not a string',
      ONLY,
      { query: { kind: 'Document' } },
      refused(400, 'PERSISTED_QUERY_ID_REQUIRED'),
    ],
  ])('%s', (_name, policy, fields, expected) => {
    expect(resolvePersisted(params(fields), policy)).toEqual(expected);
  });

  it.each([
    ['an unknown documentId', { documentId: 'get-v9' }, "Persisted query 'get-v9' not found"],
    ['an APQ registration', { query: OTHER, extensions: pq(hex(OTHER)) }, 'register nothing here'],
    ['a document', { query: OTHER }, 'send a documentId instead of the document'],
  ])('allowlist refusals say what to do: %s', (_name, fields, message) => {
    const resolution = resolvePersisted(params(fields), ONLY);
    expect(resolution.kind === 'refused' && resolution.message).toContain(message);
  });
});
