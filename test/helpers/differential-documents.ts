import { Builder, C, S, createRandom } from './differential';
import type { Feature, GeneratedRequest } from './differential';

/** The generated queries and mutations of the differential test (the pieces are in ./differential.ts). */

const FIELDS = [
  'id',
  'status',
  'lastReportedDateTime',
  'userDisplayName',
  'userPrincipalName',
  'devicesCount',
  '__typename',
];
/** Response names that are also keys of every JavaScript object. */
const ODD_ALIASES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'];
const PAGE_INFO = ['hasNextPage', 'hasPreviousPage', 'startCursor', 'endCursor'];
const ON_STATUS = 'DeviceConfigurationUserStatus';

/** Selections on a user status, with the fragments they spread (each defined once, spread once or more). */
class Selections {
  private readonly fragments: string[] = [];
  private readonly spreads = new Map<string, number>();
  private aliases = 0;

  constructor(private readonly b: Builder) {}

  /** `size` items: fields (aliased or not, under directives), fragment spreads, inline fragments, repeats. */
  of(size: number, depth = 0): string {
    const items: string[] = [];
    const random = this.b.random;
    for (let index = 0; index < size; index += 1) {
      const roll = random.int(100);
      if (roll < 55 || depth > 1) items.push(this.field());
      else if (roll < 75) items.push(`...${this.spread(depth)}${this.b.directive()}`);
      else if (roll < 90) items.push(this.inline(depth));
      else items.push(items.length > 0 ? random.pick(items) : this.field());
    }
    return items.join(' ');
  }

  private field(): string {
    const random = this.b.random;
    const name = random.pick(FIELDS);
    let alias = '';
    if (random.chance(0.1)) {
      alias = `${random.pick(ODD_ALIASES)}: `;
      this.b.features.add('prototype-alias');
    } else if (random.chance(0.3)) alias = `a${(this.aliases += 1)}: `;
    if (alias) this.b.features.add('alias');
    return `${alias}${name}${this.b.directive()}`;
  }

  private inline(depth: number): string {
    this.b.features.add('inline-fragment');
    const on = this.b.random.chance(0.5) ? ` on ${ON_STATUS}` : '';
    return `...${on}${this.b.directive()} { ${this.of(1 + this.b.random.int(3), depth + 1)} }`;
  }

  /** A known fragment again (its second spread), or a new one, which may spread an earlier one. */
  private spread(depth: number): string {
    const known = [...this.spreads.keys()];
    const name =
      known.length > 0 && this.b.random.chance(0.5)
        ? this.b.random.pick(known)
        : this.define(depth);
    this.spreads.set(name, (this.spreads.get(name) ?? 0) + 1);
    return name;
  }

  private define(depth: number): string {
    const name = `F${this.fragments.length}`;
    this.fragments.push(''); // its place, before the fragments its own selection may define
    this.fragments[Number(name.slice(1))] =
      `fragment ${name} on ${ON_STATUS} { ${this.of(1 + this.b.random.int(3), depth + 1)} }`;
    return name;
  }

  definitions(): string {
    for (const count of this.spreads.values())
      this.b.features.add(count > 1 ? 'fragment-twice' : 'fragment-once');
    return this.fragments.join(' ');
  }
}

function readArguments(b: Builder): string {
  const path = b.random.chance(0.6) ? `path: ${b.value('path')}, ` : '';
  return `${path}deviceConfigurationId: ${b.value('c')}, userStatusId: ${b.value('s')}`;
}

function listArguments(b: Builder): string {
  const parts = [`deviceConfigurationId: ${b.value('c')}`];
  if (b.random.chance(0.4)) parts.unshift(`path: ${b.value('path')}`);
  if (b.random.chance(0.6)) parts.push(`first: ${b.value('first')}`);
  if (b.random.chance(0.3)) parts.push(`status: ${b.value('status')}`);
  return parts.join(', ');
}

type RootKind = 'read' | 'list' | 'typename';

/**
 * A list answers through a Graph call of its own and is non-null: when it fails, graphql-js answers `data: null`
 * at once, and whether a sibling's error from another Graph call is in the answer depends on which call came back
 * first (in graphql-js alone as much as in the gateway). So a list has no sibling that calls Graph; reads share one
 * `$batch`, and their errors come in one order.
 */
function rootKinds(count: number, b: Builder): RootKind[] {
  const kinds: RootKind[] = [];
  for (let index = 0; index < count; index += 1) {
    const callsGraph = kinds.some((kind) => kind !== 'typename');
    const allowed: RootKind[] = kinds.includes('list')
      ? ['typename']
      : callsGraph
        ? ['read', 'read', 'typename']
        : ['read', 'read', 'list', 'typename'];
    kinds.push(b.random.pick(allowed));
  }
  return kinds;
}

function rootField(b: Builder, selections: Selections, kind: RootKind, index: number): string {
  const alias = b.random.chance(0.15) ? `${b.random.pick(ODD_ALIASES)}${index}` : `r${index}`;
  const size = 1 + b.random.int(4);
  if (kind === 'typename') return `${alias}: __typename${b.directive()}`;
  if (kind === 'read')
    return `${alias}: deviceConfigurationUserStatus(${readArguments(b)})${b.directive()} { ${selections.of(size)} }`;
  const pageInfo = PAGE_INFO.filter(() => b.random.chance(0.5)).join(' ') || 'hasNextPage';
  return `${alias}: deviceConfigurationUserStatuses(${listArguments(b)})${b.directive()} { nodes { ${selections.of(size)} } pageInfo { ${pageInfo} } }`;
}

/** What every generated request shares: a second operation sometimes, a token most of the time. */
function finish(
  b: Builder,
  name: string,
  operation: string,
  fragments: string,
  request: { readonly label: string; readonly mutation: boolean },
): GeneratedRequest {
  let query = `${operation} ${fragments}`.trim();
  let operationName: string | undefined;
  if (!request.mutation && b.random.chance(0.15)) {
    query += ' query Other { other: __typename }';
    operationName = b.random.pick([name, 'Other', undefined]);
    b.features.add('several-operations');
  }
  const token = b.random.chance(0.85);
  if (!token) b.features.add('no-token');
  return {
    name: `${name}: ${request.label}`,
    query,
    variables: b.givenVariables(),
    ...(operationName ? { operationName } : {}),
    token,
    nullRequired: operationName === 'Other' ? [] : b.nullRequired(),
    features: new Set<Feature>(b.features),
  };
}

export function generateQuery(seed: number): GeneratedRequest {
  const b = new Builder(createRandom(seed));
  const selections = new Selections(b);
  const roots = rootKinds(1 + b.random.int(3), b)
    .map((kind, index) => rootField(b, selections, kind, index))
    .join(' ');
  const name = `Q${seed}`;
  const operation = `query ${name}${b.definitions()} { ${roots} }`;
  return finish(b, name, operation, selections.definitions(), { label: 'query', mutation: false });
}

/** One input of a bulk update; `variables` puts some of its fields behind optional variables. */
function bulkInput(b: Builder, index: number): string {
  const status = b.random.chance(0.5) ? b.value('status') : 'COMPLIANT';
  return `{ deviceConfigurationId: "${C}", userStatusId: "${S[index % 3]}", status: ${status}, devicesCount: ${index + 4} }`;
}

const INPUT_VALUES: ReadonlyArray<readonly [string, unknown]> = [
  [
    'one input given as a single value',
    { deviceConfigurationId: C, userStatusId: S[0], devicesCount: 9 },
  ],
  [
    'a list of two',
    [
      { deviceConfigurationId: C, userStatusId: S[0], status: 'COMPLIANT' },
      { deviceConfigurationId: C, userStatusId: S[1], userDisplayName: 'Z' },
    ],
  ],
  [
    'the same user status twice',
    [
      { deviceConfigurationId: C, userStatusId: S[2], devicesCount: 1 },
      { deviceConfigurationId: C, userStatusId: S[2], devicesCount: 2 },
    ],
  ],
  ['a null property', [{ deviceConfigurationId: C, userStatusId: S[0], status: null }]],
  ['a null path', [{ path: null, deviceConfigurationId: C, userStatusId: S[0], devicesCount: 3 }]],
  ['nothing to change', { deviceConfigurationId: C, userStatusId: S[1] }],
];

export function generateMutation(seed: number): GeneratedRequest {
  const b = new Builder(createRandom(seed));
  const selections = new Selections(b);
  const name = `M${seed}`;
  const result = `{ userStatus { ${selections.of(1 + b.random.int(3))} } error { code message status } }`;
  let label: string;
  let field: string;
  if (b.random.chance(0.5)) {
    const [what, inputs] = b.random.pick(INPUT_VALUES);
    label = `bulk update, ${what}`;
    if (!Array.isArray(inputs)) b.features.add('list-single-value');
    b.variables.set('inputs', {
      name: 'inputs',
      declaration: '[UpdateDeviceConfigurationUserStatusInput!]!',
      value: { given: inputs },
      requiredUses: 0,
    });
    field = `bulk: updateDeviceConfigurationUserStatuses(inputs: $inputs) ${result}`;
  } else {
    const single = b.random.chance(0.5);
    label = single
      ? 'bulk update, one literal input as a single value'
      : 'bulk update, literal inputs';
    if (single) b.features.add('list-single-value');
    const inputs = single ? bulkInput(b, 0) : `[${bulkInput(b, 0)}, ${bulkInput(b, 1)}]`;
    field = `bulk: updateDeviceConfigurationUserStatuses(inputs: ${inputs}) ${result}`;
  }
  if (b.random.chance(0.4)) {
    label += ', then a delete';
    field += ` del: deleteDeviceConfigurationUserStatus(${readArguments(b)}) { deletedId requestId }`;
  }
  const operation = `mutation ${name}${b.definitions()} { ${field} }`;
  return finish(b, name, operation, selections.definitions(), { label, mutation: true });
}
