/** The quota scenario's results (bench/quota-scenario.ts) and how BENCHMARKS.md shows them. */

export interface QuotaScenarioSettings {
  /** Writes sent at once: half single updates, half in bulk mutations. */
  readonly writes: number;
  readonly windowMs: number;
  /** Writes per app per tenant per window (the tenant's limit is twice it, as Intune's). */
  readonly appWrites: number;
  /** GRAPH_QUOTA_MARGIN_MS the replicas run with: each call counts for the window and this much more. */
  readonly marginMs: number;
  /**
   * `-- --quota --late`: this share of writes (single and `$batch`) reaches the emulator's count `delayMs` late, as
   * over a lossy network or a slow proxy (a TCP retransmit is a second): what the margin alone did not cover.
   */
  readonly late?: { readonly share: number; readonly delayMs: number };
}

export interface QuotaResult {
  readonly settings: QuotaScenarioSettings & {
    readonly tenantWrites: number;
    readonly appCalls: number;
    readonly tenantCalls: number;
    readonly replicas: number;
  };
  /** The least time the writes can take: `appWrites` per window, the first at 0. */
  readonly minimumMs: number;
  /** From sending the first write to the last answer. */
  readonly wallMs: number;
  /** From the first to the last write Graph accepted. */
  readonly spanMs: number;
  /** Writes answered without error. */
  readonly done: number;
  /** Writes answered with an error, by code. */
  readonly failed: Readonly<Record<string, number>>;
  /** Writes Graph (the emulator) accepted, and refused with 429 for quota. */
  readonly accepted: number;
  readonly refused: number;
  /** Calls over Intune's limits as Intune counts them (refused calls included). */
  readonly overLimit: number;
  /** The most accepted writes of the app in any window. */
  readonly maxInWindow: number;
  /** The replicas' warning and error log lines (fallbacks among them), by message. */
  readonly warnings: Readonly<Record<string, number>>;
}

const INTUNE_WINDOW_MS = 20_000;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const times = (ms: number, minimum: number) =>
  minimum > 0 ? `${(ms / minimum).toFixed(2)}×` : '–';

/** `{ A: 2, B: 1 }` → `2 A, 1 B`. */
const listed = (counts: Readonly<Record<string, number>>) =>
  Object.entries(counts)
    .map(([name, count]) => `${count} ${name}`)
    .join(', ');

/** The least time at the gateway's own pace: windows of `windowMs + marginMs`. */
export const gatewayMinimumMs = (result: QuotaResult): number =>
  result.settings.windowMs > 0
    ? (result.minimumMs / result.settings.windowMs) *
      (result.settings.windowMs + result.settings.marginMs)
    : 0;

/** Issue 23's goal for this scenario: every write done, within 1.1× the minimum, nothing over the limit. */
export function quotaGoalMet(result: QuotaResult): boolean {
  return (
    result.done === result.settings.writes &&
    result.spanMs <= result.minimumMs * 1.1 &&
    result.overLimit === 0
  );
}

/** The scenario's table and verdict, in Markdown. */
export function renderQuotaReport(result: QuotaResult, date: string): string {
  const { settings } = result;
  const singles = Math.floor(settings.writes / 2);
  const failed = listed(result.failed);
  const warnings = listed(result.warnings);
  return [
    `Run ${date}: ${settings.replicas} gateway replicas sharing their windows through one real Redis, in front of the emulator in Intune mode (a refused call counts, calls made while throttled extend the throttle, \`Retry-After\` in whole seconds). ${settings.writes} writes of one tenant and app sent at once: ${singles} single updates spread over the replicas and ${settings.writes - singles} in one bulk mutation per replica. ${settings.windowMs === INTUNE_WINDOW_MS && settings.appWrites === 100 ? "Intune's own 100 writes per 20 s" : `Intune's 100 writes per 20 s scaled to ${settings.appWrites} per ${seconds(settings.windowMs)}`} (tenant ${settings.tenantWrites}, calls ${settings.appCalls} / ${settings.tenantCalls}).`,
    '',
    '| writes | done | failed | minimum | first → last write at Graph | ÷ minimum | all answered | ÷ minimum | most writes in one window | Graph 429s | calls over the limit (Intune counting) | warnings logged by the replicas |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    `| ${settings.writes} | ${result.done} | ${failed || '0'} | ${seconds(result.minimumMs)} | ${seconds(result.spanMs)} | ${times(result.spanMs, result.minimumMs)} | ${seconds(result.wallMs)} | ${times(result.wallMs, result.minimumMs)} | ${result.maxInWindow} of ${settings.appWrites} | ${result.refused} | ${result.overLimit} | ${warnings || '0'} |`,
    '',
    `The gateway counts each call for its window plus GRAPH_QUOTA_MARGIN_MS (${seconds(settings.windowMs)} + ${seconds(settings.marginMs)} here: the margin covers the spread between a call's grant and its arrival at Graph, which does not shrink with the window), so its own least time is ${seconds(gatewayMinimumMs(result))}: first → last write ${times(result.spanMs, gatewayMinimumMs(result))} of that.`,
    '',
    goalLine(result),
    ...(settings.late
      ? [
          '',
          `Late arrivals: ${Math.round(settings.late.share * 100)} % of the writes (single and \`$batch\`) reached the emulator's count ${settings.late.delayMs} ms after it received them.`,
        ]
      : []),
  ].join('\n');
}

/**
 * The verdict. The goal is stated at Intune's own window; at a scaled one the margin, which does not scale, takes a
 * larger part of each window, so the line also says how the run did against the gateway's own least time.
 */
function goalLine(result: QuotaResult): string {
  const verdict = (met: boolean) => (met ? 'met' : '**not met**');
  const line = `Goal (issue 23): every write done, first → last write within 1.1× the minimum, 0 calls over the limit: ${verdict(quotaGoalMet(result))}`;
  if (result.settings.windowMs === INTUNE_WINDOW_MS) return `${line}.`;
  const ownPace =
    result.done === result.settings.writes &&
    result.spanMs <= gatewayMinimumMs(result) * 1.1 &&
    result.overLimit === 0;
  return `${line} at this scaled window, where the margin alone takes ${times(gatewayMinimumMs(result), result.minimumMs)} (the goal is Intune's: see the run at its own window); within 1.1× the gateway's own least time: ${verdict(ownPace)}.`;
}
