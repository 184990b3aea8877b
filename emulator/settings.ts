/**
 * How the emulator behaves. `friendly` (the default, for the demo) answers like Graph's documentation;
 * `intune` answers like Intune's list and error endpoints really do, so that tests catch a gateway that relies
 * on more than Graph promises. A mode is a preset: each behaviour can also be set on its own.
 */
export type EmulatorMode = 'friendly' | 'intune';

export interface EmulatorSettings {
  mode: EmulatorMode;
  /** PATCH answers Graph's documented 200 with the object, or the 204 many Intune PATCHes really send. */
  patchResponse: 'object' | 'no-content';
  /** `$top` on lists: honoured, or ignored (every page then holds `pageSize` items). */
  top: 'apply' | 'ignore';
  /** Items per page when `$top` is absent or ignored. */
  pageSize: number;
  /** `$filter` on lists: applied, ignored (every item comes back), or refused with a 400. */
  filter: 'apply' | 'ignore' | 'reject';
  /** `@odata.nextLink` as Graph's docs show it, or as Intune writes it (`('ID')` key, upper-case GUID, `skipCount`). */
  nextLinks: 'graph' | 'intune';
  /** Service errors as plain Graph errors, or Intune's JSON-in-message with codes that disagree with the status. */
  errors: 'graph' | 'intune';
  /** Navigation on an uncast configuration (`/{id}/rootCertificate`): served, or refused as Graph's metadata does. */
  navigation: 'lenient' | 'metadata';
  /** Whether a quota 429 carries `Retry-After` (Intune 429s have been seen without it). */
  throttleRetryAfter: boolean;
  /**
   * The share (0 to 1) of quota 429s sent without `Retry-After` even when `throttleRetryAfter` is on: Intune leaves
   * it out sometimes, not always.
   */
  retryAfterMissing: number;
  /** `Retry-After` to the millisecond (`0.75`), or in whole seconds rounded up (`1`), as RFC 9110 writes it. */
  retryAfterFormat: 'milliseconds' | 'seconds';
  /** A refused call costs nothing, or counts against every window it belongs to, as Graph counts it. */
  refusedCalls: 'free' | 'counted';
  /**
   * `window`: a call is accepted as soon as its windows have room. `hold`: a limit that refused a call refuses
   * every call until the `Retry-After` it announced, and each call made meanwhile pushes that end further.
   */
  throttle: 'window' | 'hold';
}

export type EmulatorSettingsPatch = Partial<EmulatorSettings>;

export const MODE_PRESETS: Readonly<Record<EmulatorMode, Readonly<EmulatorSettings>>> = {
  friendly: {
    mode: 'friendly',
    patchResponse: 'object',
    top: 'apply',
    pageSize: 100,
    filter: 'apply',
    nextLinks: 'graph',
    errors: 'graph',
    navigation: 'lenient',
    throttleRetryAfter: true,
    retryAfterMissing: 0,
    retryAfterFormat: 'milliseconds',
    refusedCalls: 'free',
    throttle: 'window',
  },
  intune: {
    mode: 'intune',
    patchResponse: 'no-content',
    top: 'ignore',
    pageSize: 3,
    filter: 'ignore',
    nextLinks: 'intune',
    errors: 'intune',
    navigation: 'metadata',
    throttleRetryAfter: true,
    retryAfterMissing: 0,
    retryAfterFormat: 'seconds',
    refusedCalls: 'counted',
    throttle: 'hold',
  },
};

const CHOICES: Readonly<Record<string, readonly unknown[]>> = {
  mode: ['friendly', 'intune'],
  patchResponse: ['object', 'no-content'],
  top: ['apply', 'ignore'],
  filter: ['apply', 'ignore', 'reject'],
  nextLinks: ['graph', 'intune'],
  errors: ['graph', 'intune'],
  navigation: ['lenient', 'metadata'],
  throttleRetryAfter: [true, false],
  retryAfterFormat: ['milliseconds', 'seconds'],
  refusedCalls: ['free', 'counted'],
  throttle: ['window', 'hold'],
};

/** Reads a settings change (admin API body, options); throws with a clear message on anything unknown or invalid. */
export function parseSettingsPatch(input: unknown): EmulatorSettingsPatch {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw new Error('settings must be a JSON object');
  for (const [key, value] of Object.entries(input)) {
    if (key === 'pageSize') {
      if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > 999)
        throw new Error(
          `pageSize must be a whole number from 1 to 999, got ${JSON.stringify(value)}`,
        );
      continue;
    }
    if (key === 'retryAfterMissing') {
      if (typeof value !== 'number' || !(value >= 0 && value <= 1))
        throw new Error(
          `retryAfterMissing must be a number from 0 to 1, got ${JSON.stringify(value)}`,
        );
      continue;
    }
    const allowed = CHOICES[key];
    if (!allowed)
      throw new Error(
        `unknown setting "${key}" (known: pageSize, retryAfterMissing, ${Object.keys(CHOICES).join(', ')})`,
      );
    if (!allowed.includes(value))
      throw new Error(
        `${key} must be one of ${allowed.map((choice) => JSON.stringify(choice)).join(', ')}, got ${JSON.stringify(value)}`,
      );
  }
  return input;
}

/** The settings a mode gives, with some of them overridden. */
export function createSettings(patch: EmulatorSettingsPatch = {}): EmulatorSettings {
  return { ...MODE_PRESETS[patch.mode ?? 'friendly'], ...patch };
}

/** Changes settings in place (every holder sees it). Naming a mode starts from its preset. */
export function updateSettings(settings: EmulatorSettings, patch: EmulatorSettingsPatch): void {
  Object.assign(settings, patch.mode ? createSettings(patch) : patch);
}
