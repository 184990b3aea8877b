/** The settings that chose where the gateway listens. */
export interface ListenSettings {
  readonly port: number;
  readonly host: string;
  readonly metricsPort: number | null;
}

/** Why a listener could not open, in the words of the setting to change, for the one fatal line at start. */
export interface ListenFailure {
  readonly variable: 'PORT' | 'METRICS_PORT' | 'HOST';
  readonly message: string;
}

interface ListenError {
  readonly code?: unknown;
  readonly port?: unknown;
  readonly address?: unknown;
}

/** A port to suggest instead: 100 up, as the demo's message does (4000 → 4100), within the port range. */
const otherPort = (port: number) => (port + 100 <= 65_535 ? port + 100 : 8080);

/**
 * Node's `listen` errors (EADDRINUSE, EACCES, EADDRNOTAVAIL carry the port and address tried) as a sentence naming
 * the variable that chose them: PORT, or METRICS_PORT for the separate metrics listener, or HOST. Anything else is
 * `undefined`: not a listening problem, reported as it is.
 */
export function listenFailure(error: unknown, settings: ListenSettings): ListenFailure | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, port: triedPort, address } = error as ListenError;
  const port = typeof triedPort === 'number' ? triedPort : settings.port;
  const variable =
    settings.metricsPort !== null && port === settings.metricsPort && port !== settings.port
      ? 'METRICS_PORT'
      : 'PORT';
  const what = variable === 'PORT' ? 'the gateway' : 'the metrics endpoint';
  if (code === 'EADDRINUSE')
    return {
      variable,
      message: `Gateway failed to start: port ${port} (${variable}, ${what}) is already in use, perhaps by another gateway. Pick a free port with ${variable}, for example ${variable}=${otherPort(port)}.`,
    };
  if (code === 'EACCES')
    return {
      variable,
      message: `Gateway failed to start: this process may not listen on port ${port} (${variable}, ${what}); ports below 1024 need privileges. Pick a port from 1024 up with ${variable}.`,
    };
  if (code === 'EADDRNOTAVAIL')
    return {
      variable: 'HOST',
      message: `Gateway failed to start: HOST ${typeof address === 'string' ? address : settings.host} is not an address of this machine. Set HOST to one of its addresses, or 0.0.0.0 for all of them.`,
    };
  return undefined;
}
