import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadManifest, parseManifest } from '../../src/graphql/persisted/manifest';
import { MANIFEST } from '../helpers/manifest';

const sha = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`;
const GET = 'query Get { __typename }';
const manifest = (entries: Record<string, unknown>) => JSON.stringify(entries);

describe('trusted documents: the manifest graphql-codegen writes', () => {
  it("reads this project's own manifest (npm run codegen) and finds each document by id and by APQ hash", () => {
    const result = loadManifest(MANIFEST);
    if (!result.ok) throw new Error(result.problem);
    expect(result.documents.size).toBe(4);
    const [id, document] = Object.entries(
      JSON.parse(readFileSync(MANIFEST, 'utf8')) as Record<string, string>,
    )[0]!;
    expect(result.documents.byId(id)).toBe(document);
    expect(result.documents.byHash(id.slice('sha256:'.length))).toEqual({ id, document });
  });

  it.each<[string, Record<string, unknown>, string, string | undefined]>([
    ['a sha256 id, by id', { [sha(GET)]: GET }, sha(GET), GET],
    ['a custom id', { 'get-v1': GET }, 'get-v1', GET],
    ['an x- prefixed id', { 'x-app:get': GET }, 'x-app:get', GET],
    ['an id it does not hold', { 'get-v1': GET }, 'get-v2', undefined],
    [
      'a sha256 id asked without its prefix (ids are exact)',
      { [sha(GET)]: GET },
      sha(GET).slice(7),
      undefined,
    ],
  ])('byId: %s', (_name, entries, id, expected) => {
    const result = parseManifest(manifest(entries), 'm.json');
    if (!result.ok) throw new Error(result.problem);
    expect(result.documents.byId(id)).toBe(expected);
  });

  it.each<[string, Record<string, unknown>, string, string | undefined]>([
    ["codegen's sha256:<hex>", { [sha(GET)]: GET }, sha(GET).slice(7), sha(GET)],
    [
      'a plain hex id (a custom hash function)',
      { ['ab'.repeat(32)]: GET },
      'ab'.repeat(32),
      'ab'.repeat(32),
    ],
    ['a hash it does not hold', { [sha(GET)]: GET }, 'cd'.repeat(32), undefined],
  ])('byHash: %s', (_name, entries, hash, expectedId) => {
    const result = parseManifest(manifest(entries), 'm.json');
    if (!result.ok) throw new Error(result.problem);
    expect(result.documents.byHash(hash)?.id).toBe(expectedId);
  });

  it.each<[string, string, string]>([
    ['not JSON', '{"a": ', 'is not JSON'],
    ['an array', '["query { a }"]', 'must be a JSON object'],
    ['null', 'null', 'must be a JSON object'],
    ['empty', '{}', 'holds no documents'],
    [
      'a document that does not parse',
      manifest({ a: 'query { a ' }),
      'has a document that does not parse, "a"',
    ],
    ['a number for a document', manifest({ a: 42 }), 'has no document text for "a"'],
    ['blank text', manifest({ a: '  ' }), 'has no document text for "a"'],
    ['a schema, not an operation', manifest({ a: 'type Query { a: Int }' }), 'is not executable'],
    ['fragments only', manifest({ a: 'fragment F on Query { a }' }), 'without an operation'],
    ['an id with a space', manifest({ 'get me': GET }), 'has an id that is no document identifier'],
    ['an unknown prefix', manifest({ 'md5:abc': GET }), 'has an id that is no document identifier'],
    ['an id of 201 characters', manifest({ ['a'.repeat(201)]: GET }), 'no document identifier'],
    [
      'a sha256 id that is not the hash of its document (edited by hand)',
      manifest({ [sha(GET)]: 'query Other { __typename }' }),
      'is not the SHA-256 of its document',
    ],
    [
      'a sha256 id in upper case',
      manifest({ [sha(GET).toUpperCase().replace('SHA256', 'sha256')]: GET }),
      'no document identifier',
    ],
  ])('refuses %s', (_name, text, problem) => {
    const result = parseManifest(text, 'm.json');
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problem).toContain(problem);
  });

  it('one bad entry refuses the whole manifest, naming it', () => {
    const result = parseManifest(manifest({ [sha(GET)]: GET, broken: 'query {' }), 'm.json');
    expect(result).toEqual({ ok: false, problem: expect.stringContaining('"broken"') as unknown });
  });

  it.each([
    [
      'a file that does not exist',
      '/nonexistent/persisted-documents.json',
      'cannot be read (ENOENT)',
    ],
    ['a directory', __dirname, 'cannot be read (EISDIR)'],
  ])('a manifest that cannot be read says why and where: %s', (_name, file, problem) => {
    const result = loadManifest(file);
    expect(result).toEqual({ ok: false, problem: `${problem}: ${file}` });
  });

  it('a manifest that reads but does not parse names its file', () => {
    const result = loadManifest('m.json', () => '{"a": "query {"}');
    expect(!result.ok && result.problem).toMatch(
      /^m\.json has a document that does not parse, "a"/,
    );
  });
});
