import { configurationId, userStatusId } from '../../emulator/store';

/**
 * Generated GraphQL requests for the differential test (test/integration/differential.spec.ts): aliases (some named
 * like Object.prototype's keys), fragments spread once and twice (one inside another, under opposite directives),
 * inline fragments, `@skip`/`@include` with literals and variables, variables given, left out, null and of the
 * wrong type. Seeded: the same requests on every run.
 */
export interface GeneratedRequest {
  readonly name: string;
  readonly query: string;
  readonly variables: Record<string, unknown>;
  readonly operationName?: string;
  /** Sent with a bearer token. */
  readonly token: boolean;
  /** Variables whose value is null where the document requires one: the gateway refuses the request (400). */
  readonly nullRequired: readonly string[];
  /** What the request exercises, for the test's coverage check. */
  readonly features: ReadonlySet<Feature>;
}

export type Feature =
  | 'alias'
  | 'prototype-alias'
  | 'fragment-once'
  | 'fragment-twice'
  | 'inline-fragment'
  | 'directive-literal'
  | 'directive-variable'
  | 'variable-given'
  | 'variable-missing'
  | 'variable-null'
  | 'variable-wrong'
  | 'list-single-value'
  | 'several-operations'
  | 'no-token';

/** mulberry32: a small seeded generator of numbers in [0, 1). */
export function createRandom(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return {
    int,
    chance: (p: number) => next() < p,
    pick: <T>(items: readonly T[]): T => items[int(items.length)]!,
  };
}
export type Random = ReturnType<typeof createRandom>;

export const C = configurationId('windows10-general');
export const S = [0, 1, 2].map((index) => userStatusId('windows10-general', index));
const MISSING = '00000000-0000-4000-a000-000000000000';

type Value = { readonly given: unknown } | 'omitted';

/**
 * Where a value goes: how a variable for it may be declared, literals to write instead, and values to give a
 * variable: valid ones, and wrong ones (that do not coerce). A variable is also left out, or given null, now and then.
 */
interface Position {
  readonly required: boolean;
  readonly declarations: readonly string[];
  readonly literals: readonly string[];
  readonly valid: readonly unknown[];
  readonly wrong: readonly unknown[];
}

const POSITIONS = {
  path: {
    required: true,
    declarations: [
      'UserStatusPath',
      'UserStatusPath!',
      'UserStatusPath = ROOT_CERTIFICATE',
      'UserStatusPath = null',
    ],
    literals: ['DEVICE_CONFIGURATION', 'ROOT_CERTIFICATE'],
    valid: ['DEVICE_CONFIGURATION', 'ROOT_CERTIFICATE'],
    wrong: ['DEVICE', 1],
  },
  c: {
    required: true,
    declarations: ['ID!', 'ID!', `ID = "${C}"`],
    literals: [`"${C}"`, `"${MISSING}"`],
    valid: [C, C, MISSING],
    wrong: [{ id: C }, true],
  },
  s: {
    required: true,
    declarations: ['ID!', 'ID!', `ID = "${S[1]}"`],
    literals: [`"${S[0]}"`, `"${S[2]}"`, `"${MISSING}"`],
    // An integer is an ID too (coerced to its digits).
    valid: [S[0], S[2], MISSING, 7],
    wrong: [[S[0], S[1]], 1.5],
  },
  first: {
    required: false,
    declarations: ['Int', 'Int = 2'],
    literals: ['1', '2', '0'],
    valid: [1, 3, 0],
    wrong: ['two', 2.5],
  },
  status: {
    required: false,
    declarations: ['ComplianceStatus'],
    literals: ['COMPLIANT', 'NOT_APPLICABLE'],
    valid: ['COMPLIANT', 'NON_COMPLIANT'],
    wrong: ['compliant', 3],
  },
  if: {
    required: true,
    declarations: ['Boolean!', 'Boolean = true', 'Boolean = false'],
    literals: ['true', 'false'],
    valid: [true, false],
    wrong: ['yes', 1],
  },
} satisfies Record<string, Position>;
export type PositionName = keyof typeof POSITIONS;

interface Variable {
  readonly name: string;
  readonly declaration: string;
  readonly value: Value;
  requiredUses: number;
}

/** Builds one operation's text while it records the variables it declares and where it uses them. */
export class Builder {
  readonly variables = new Map<string, Variable>();
  readonly features = new Set<Feature>();
  constructor(readonly random: Random) {}

  /** A literal or a variable (new, or one already used at this kind of position) for `position`. */
  value(position: PositionName): string {
    const spec: Position = POSITIONS[position];
    if (this.random.chance(0.35)) {
      if (position === 'if') this.features.add('directive-literal');
      return this.random.pick(spec.literals);
    }
    if (position === 'if') this.features.add('directive-variable');
    const known = [...this.variables.values()].filter((v) => v.name.startsWith(`${position}_`));
    const variable =
      known.length > 0 && this.random.chance(0.5)
        ? this.random.pick(known)
        : this.declare(position, spec);
    if (spec.required) variable.requiredUses += 1;
    return `$${variable.name}`;
  }

  private declare(position: PositionName, spec: Position): Variable {
    const random = this.random;
    const roll = random.int(100);
    const [value, feature]: [Value, Feature] =
      roll < 84
        ? [{ given: random.pick(spec.valid) }, 'variable-given']
        : roll < 90
          ? ['omitted', 'variable-missing']
          : roll < 96
            ? [{ given: null }, 'variable-null']
            : [{ given: random.pick(spec.wrong) }, 'variable-wrong'];
    const variable: Variable = {
      name: `${position}_${this.variables.size}`,
      declaration: random.pick(spec.declarations),
      value,
      requiredUses: 0,
    };
    this.variables.set(variable.name, variable);
    this.features.add(feature);
    return variable;
  }

  /** `@include`/`@skip` on about a third of what asks for one. */
  directive(): string {
    if (!this.random.chance(0.35)) return '';
    return ` @${this.random.pick(['include', 'skip'])}(if: ${this.value('if')})`;
  }

  definitions(): string {
    const list = [...this.variables.values()].map((v) => `$${v.name}: ${v.declaration}`);
    return list.length > 0 ? `(${list.join(', ')})` : '';
  }

  givenVariables(): Record<string, unknown> {
    const given: Record<string, unknown> = {};
    for (const variable of this.variables.values())
      if (variable.value !== 'omitted') given[variable.name] = variable.value.given;
    return given;
  }

  /**
   * Variables null where the document needs a value: declared nullable, used at a required position, and given
   * null or left out with a null default. (Left out without one, the argument's default or a validation error.)
   */
  nullRequired(): string[] {
    return [...this.variables.values()]
      .filter((v) => v.requiredUses > 0 && !v.declaration.endsWith('!'))
      .filter((v) =>
        v.value === 'omitted' ? v.declaration.endsWith('= null') : v.value.given === null,
      )
      .map((v) => v.name);
  }
}
