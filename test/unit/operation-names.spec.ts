import {
  createOperationLabels,
  loggableOperationName,
} from '../../src/observability/operation-names';

describe('loggableOperationName', () => {
  it.each([
    [undefined, null],
    [null, null],
    ['', null],
    ['UpdateUserStatus', 'UpdateUserStatus'],
    ['A'.repeat(100), 'A'.repeat(100)],
    ['A'.repeat(101), `${'A'.repeat(100)}…`],
    ['B'.repeat(45_000), `${'B'.repeat(100)}…`],
  ])('%j → %j', (name, expected) => {
    expect(loggableOperationName(name)).toBe(expected);
  });
});

describe('createOperationLabels', () => {
  it.each([
    [null, true, 'anonymous'],
    ['', true, 'anonymous'],
    ['Get', true, 'Get'],
    ['Get', false, 'other'],
    ['has-dash', true, 'invalid'],
    ['A'.repeat(65), true, 'invalid'],
    ['A'.repeat(64), true, 'A'.repeat(64)],
  ])('%j (served: %s) → %j', (name, served, expected) => {
    expect(createOperationLabels().label(name, served)).toBe(expected);
  });

  it('a name not served takes no slot, however many are sent', () => {
    const labels = createOperationLabels(3);
    for (let i = 0; i < 1000; i += 1) expect(labels.label(`Junk${i}`, false)).toBe('other');
    expect(['Get', 'List', 'Update'].map((name) => labels.label(name, true))).toEqual([
      'Get',
      'List',
      'Update',
    ]);
  });

  it('an admitted name is counted under its name whoever sends it; past the capacity, other', () => {
    const labels = createOperationLabels(2);
    expect(labels.label('Get', true)).toBe('Get');
    expect(labels.label('Get', false)).toBe('Get');
    expect(labels.label('List', true)).toBe('List');
    expect(labels.label('Third', true)).toBe('other');
    expect(labels.label('List', false)).toBe('List');
  });
});
