/**
 * The persisted operations' settings (docs/hardening.md#persisted-operations), read once at start by
 * src/config.ts with its own readers: automatic persisted queries on by default, the trusted documents manifest
 * read and checked now (one that cannot be used stops start-up, naming GRAPHQL_TRUSTED_DOCUMENTS), the allowlist off.
 */
import { loadManifest } from './manifest';
import type { TrustedDocuments } from './manifest';

export interface PersistedSettings {
  /** Automatic persisted queries, or null when off (GRAPHQL_APQ=false, or the allowlist on). */
  readonly apq: ApqSettings | null;
  /** The manifest GRAPHQL_TRUSTED_DOCUMENTS names, read and checked at start. */
  readonly trusted: TrustedDocuments | null;
  /** GRAPHQL_TRUSTED_DOCUMENTS_ONLY: only the manifest's documents run. */
  readonly trustedOnly: boolean;
}

export interface ApqSettings {
  /** How long a registered document is kept (in Redis, and in-process). */
  readonly ttlSeconds: number;
  /** Characters of documents kept in-process (least recently used out). */
  readonly cacheCharacters: number;
  /** The most a request waits on Redis for a document before it counts as not found. */
  readonly redisTimeoutMs: number;
}

export type Env = Readonly<Record<string, string | undefined>>;

/** config.ts's readers: each throws its ConfigError, naming the variable. */
export interface EnvReaders {
  readonly integer: (env: Env, name: string, fallback: number, min: number, max: number) => number;
  readonly boolean: (env: Env, name: string, fallback: boolean) => boolean;
  readonly refuse: (variable: string, problem: string) => never;
}

function trustedDocuments(env: Env, refuse: EnvReaders['refuse']): TrustedDocuments | null {
  const file = env.GRAPHQL_TRUSTED_DOCUMENTS?.trim();
  if (!file) return null;
  const result = loadManifest(file);
  return result.ok ? result.documents : refuse('GRAPHQL_TRUSTED_DOCUMENTS', result.problem);
}

export function readPersistedSettings(env: Env, readers: EnvReaders): PersistedSettings {
  const { integer, boolean, refuse } = readers;
  const trusted = trustedDocuments(env, refuse);
  const trustedOnly = boolean(env, 'GRAPHQL_TRUSTED_DOCUMENTS_ONLY', false);
  if (trustedOnly && !trusted)
    refuse(
      'GRAPHQL_TRUSTED_DOCUMENTS_ONLY',
      'needs GRAPHQL_TRUSTED_DOCUMENTS, the manifest of the documents allowed to run',
    );
  const apq = boolean(env, 'GRAPHQL_APQ', !trustedOnly);
  if (apq && trustedOnly)
    refuse(
      'GRAPHQL_APQ',
      "must be false with GRAPHQL_TRUSTED_DOCUMENTS_ONLY=true: only the manifest's documents run, none is registered",
    );
  if (!apq) return Object.freeze({ trusted, trustedOnly, apq: null });
  const settings: ApqSettings = Object.freeze({
    ttlSeconds: integer(env, 'GRAPHQL_APQ_TTL_SECONDS', 3_600, 1, 30 * 86_400),
    cacheCharacters: integer(env, 'GRAPHQL_APQ_CACHE_CHARACTERS', 5_000_000, 10_000, 1_000_000_000),
    redisTimeoutMs: integer(env, 'GRAPHQL_APQ_REDIS_TIMEOUT_MS', 250, 10, 10_000),
  });
  return Object.freeze({ trusted, trustedOnly, apq: settings });
}
