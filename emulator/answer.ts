/** What the emulator answers before Graph's headers are added. A `body` object is sent as JSON. */
export interface EmulatorAnswer {
  readonly status: number;
  readonly body?: Record<string, unknown>;
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * Set on errors raised by the Intune service behind Graph (not by Graph's own front door): in Intune mode
   * their message is wrapped the way Intune wraps it. Auth, routing and batch-envelope errors stay plain.
   */
  readonly fromService?: boolean;
}

/** An error as Graph's front door writes it: `{"error":{"code","message"}}` (innerError added when sent). */
export function graphError(status: number, code: string, message: string): EmulatorAnswer {
  return { status, body: { error: { code, message } } };
}

/** An error raised by the Intune service itself (see `fromService`). */
export function serviceError(status: number, code: string, message: string): EmulatorAnswer {
  return { ...graphError(status, code, message), fromService: true };
}

/** The `error` object of an error answer, or `undefined` for a success. */
export function errorOf(
  answer: EmulatorAnswer,
): { code: string; message: string; [key: string]: unknown } | undefined {
  const error = answer.body?.error;
  if (typeof error !== 'object' || error === null) return undefined;
  return error as { code: string; message: string };
}

/** The ids Graph reports for one answer (a whole request, or one `$batch` item). */
export interface AnswerIds {
  readonly requestId: string;
  readonly clientRequestId: string;
}

/** Graph's `innerError` on an error body: the date and this answer's own request ids. */
export function withInnerError(answer: EmulatorAnswer, ids: AnswerIds, now: Date): EmulatorAnswer {
  const error = errorOf(answer);
  if (!error || error.innerError !== undefined) return answer;
  const innerError = {
    date: now.toISOString().slice(0, 19),
    'request-id': ids.requestId,
    'client-request-id': ids.clientRequestId,
  };
  return { ...answer, body: { ...answer.body, error: { ...error, innerError } } };
}
