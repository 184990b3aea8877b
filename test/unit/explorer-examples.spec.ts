import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { assertEnumType, buildSchema, getOperationAST, parse } from 'graphql';
import { SEEDED_PATH_TARGETS, configurationId, userStatusId } from '../../emulator/store';
import { exampleTabs, explorerSettings } from '../../src/server/explorer';
import { EXAMPLE_PATHS, PATH_EXAMPLES } from '../../src/server/explorer-examples';

const SCHEMA_DIR = path.join(__dirname, '..', '..', 'schema');
const schema = buildSchema(
  readdirSync(SCHEMA_DIR)
    .filter((file) => file.endsWith('.graphql'))
    .map((file) => readFileSync(path.join(SCHEMA_DIR, file), 'utf8'))
    .join('\n'),
);

describe('the explorer examples (plain data, no import of the emulator)', () => {
  it('cover every path of the schema, in its order', () => {
    const paths = assertEnumType(schema.getType('UserStatusPath'));
    expect(EXAMPLE_PATHS).toEqual(paths.getValues().map((value) => value.name));
  });

  it.each(EXAMPLE_PATHS)('%s: the ids are the ones the emulator seeds', (name) => {
    const [configuration, target] = SEEDED_PATH_TARGETS[name]!;
    expect(PATH_EXAMPLES[name]).toMatchObject({
      deviceConfigurationId: configurationId(configuration),
      userStatusId: userStatusId(target, 0),
    });
  });

  const tabs = exampleTabs('{"Authorization": "Bearer x"}');
  // GraphiQL titles a tab with the name it finds after `query`/`mutation` on a line that is not a comment.
  const titleOf = (query: string) =>
    /^(?!#).*(query|subscription|mutation)\s+([a-zA-Z0-9_]+)/m.exec(query)?.[2];

  it('give each tab its own title: one per path, then the read, the list and the bulk update', () => {
    expect(tabs.map((tab) => titleOf(tab.query))).toEqual([
      ...EXAMPLE_PATHS.map((name) => PATH_EXAMPLES[name].operationName),
      'GetUserStatus',
      'ListUserStatuses',
      'UpdateUserStatuses',
    ]);
    expect(new Set(tabs.map((tab) => titleOf(tab.query))).size).toBe(tabs.length);
  });

  it.each(tabs.map((tab, index) => [index, tab] as const))(
    'tab %i is one named operation, with JSON variables and the headers it was given',
    (_index, tab) => {
      const operation = getOperationAST(parse(tab.query));
      expect(operation?.name?.value).toBe(titleOf(tab.query));
      expect(() => JSON.parse(tab.variables) as unknown).not.toThrow();
      expect(tab.headers).toBe('{"Authorization": "Bearer x"}');
    },
  );

  it('say in each update tab which path it uses', () => {
    EXAMPLE_PATHS.forEach((name, index) => {
      expect(tabs[index]?.query.split('\n')[0]).toContain(`(${name})`);
      expect(JSON.parse(tabs[index]!.variables)).toMatchObject({ input: { path: name } });
    });
  });

  it('turn header persistence off, so no token is kept in the browser', () => {
    const settings = explorerSettings({ headers: { Authorization: 'Bearer demo' } });
    expect(settings.shouldPersistHeaders).toBe(false);
    expect(JSON.parse(settings.headers ?? '')).toEqual({ Authorization: 'Bearer demo' });
    expect(settings.initialVariables).toBe(tabs[0]?.variables);
    expect(settings.initialQuery).toBe(tabs[0]?.query);
  });
});
