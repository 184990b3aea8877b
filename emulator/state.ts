import type { IncomingHttpHeaders } from 'node:http';
import { parseConfigurePatch } from './admin';
import type { AdminTarget, EmulatorConfigurePatch } from './admin';
import { FaultSwitches } from './faults';
import type { FaultRule } from './faults';
import { INTUNE_QUOTAS, createQuotaLimiter } from './quota';
import type { QuotaCall } from './call-log';
import type { QuotaLimiter, QuotaSettings } from './quota';
import { createSettings, updateSettings } from './settings';
import type { EmulatorSettings, EmulatorSettingsPatch } from './settings';
import { EmulatorStore } from './store';

/** `startEmulator`'s options: a mode (`friendly` by default) and any of its settings overridden. */
export interface EmulatorOptions extends EmulatorSettingsPatch {
  readonly port?: number;
  readonly host?: string;
  readonly faults?: readonly FaultRule[];
  /** Intune's published numbers unless overridden; `{ enabled: false }` turns quotas off. */
  readonly quotas?: Partial<QuotaSettings>;
  /** The clock of the quota windows and the call log (tests inject one). */
  readonly now?: () => number;
  /** Draws in [0, 1) for `retryAfterMissing` (default `Math.random`; tests inject one). */
  readonly random?: () => number;
  /** The call log holds at most this many calls; when full, the oldest tenth goes (default 100 000). */
  readonly callLogLimit?: number;
}

/** One request as Graph received it: what the tests assert on. */
export interface RecordedRequest {
  readonly method: string;
  /** The raw path and query, exactly as sent (still percent-encoded). */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly receivedAt: number;
  /** Set when the client closed the connection before the emulator answered (a cancelled call). */
  closedBeforeAnswer: boolean;
  /** `gzip` when the answer went compressed (the client asked for it and the body was not tiny); else absent. */
  answerEncoding?: 'gzip';
}

/** Everything a running emulator keeps, and the two ways to change it at once. */
export interface EmulatorState extends AdminTarget {
  readonly store: EmulatorStore;
  readonly faults: FaultSwitches;
  readonly settings: EmulatorSettings;
  readonly quotas: QuotaSettings;
  readonly limiter: QuotaLimiter;
  readonly requests: RecordedRequest[];
  readonly calls: QuotaCall[];
  readonly now: () => number;
  readonly random: () => number;
}

function initialSettings(options: EmulatorOptions): EmulatorSettings {
  const {
    port: _p,
    host: _h,
    faults: _f,
    quotas: _q,
    now: _n,
    random: _r,
    callLogLimit: _c,
    ...patch
  } = options;
  return createSettings(parseConfigurePatch(patch));
}

/** The emulator's state from its options (validated: a bad setting throws before anything listens). */
export function createEmulatorState(options: EmulatorOptions): EmulatorState {
  const now = options.now ?? Date.now;
  const settings = initialSettings(options);
  const initialQuotas = {
    ...INTUNE_QUOTAS,
    ...parseConfigurePatch({ quotas: options.quotas ?? {} }).quotas,
  };
  const quotas: QuotaSettings = { ...initialQuotas };
  const state = {
    store: new EmulatorStore(),
    faults: new FaultSwitches(),
    settings,
    quotas,
    limiter: createQuotaLimiter({ settings: quotas, rules: settings, now }),
    requests: [] as RecordedRequest[],
    calls: [] as QuotaCall[],
    now,
    random: options.random ?? Math.random,
    configure(patch: EmulatorConfigurePatch) {
      const { quotas: quotaPatch, ...settingsPatch } = parseConfigurePatch(patch);
      updateSettings(settings, settingsPatch);
      Object.assign(quotas, quotaPatch);
    },
    reset() {
      state.store.reset();
      state.faults.clear();
      options.faults?.forEach((rule) => state.faults.add(rule));
      Object.assign(settings, initialSettings(options));
      Object.assign(quotas, initialQuotas);
      state.limiter.reset();
      state.requests.length = 0;
      state.calls.length = 0;
    },
  };
  options.faults?.forEach((rule) => state.faults.add(rule));
  return state;
}
