import { createRequire } from 'node:module';
import type { Pool, PoolClient, PoolConfig } from 'pg';
import { FailureError, UsageError } from '../../errors.js';
import { sslOption, type PgTarget } from './target.js';

type PgModule = typeof import('pg');

// Loaded only when a PostgreSQL store is opened: SQLite users never pay for it.
let pgModule: PgModule | undefined;
function loadPg(): PgModule {
  pgModule ??= createRequire(import.meta.url)('pg') as PgModule;
  return pgModule;
}

const TIMESTAMPTZ_OID = 1184;
const TIMESTAMP_OID = 1114;

/**
 * Rows come back as the SQLite store hands them out: timestamps as ISO 8601 strings in UTC
 * with milliseconds (what `iso()` writes), so the domain above the store sees one format.
 */
function typeParser(oid: number, format?: string): (value: string) => unknown {
  if (oid === TIMESTAMPTZ_OID || oid === TIMESTAMP_OID) return (value: string) => new Date(value).toISOString();
  return loadPg().types.getTypeParser(oid, format as 'text') as (value: string) => unknown;
}

type ConnectionInfo = { host: string; port: number; database: string; user: string };

/**
 * The password, asked for only if the server wants one: --db-password-file (already in the
 * target), else PGPASSWORD, else the .pgpass file (PGPASSFILE or ~/.pgpass, as libpq reads it).
 */
function passwordFor(target: PgTarget, env: Record<string, string | undefined>): string | ((info: ConnectionInfo) => Promise<string>) {
  if (target.password !== undefined) return target.password;
  return async (info) => {
    if (env.PGPASSWORD !== undefined) return env.PGPASSWORD;
    const pgpass = createRequire(import.meta.url)('pgpass') as (info: ConnectionInfo, callback: (password: string | undefined) => void) => void;
    const fromFile = await new Promise<string | undefined>((resolve) => pgpass(info, resolve));
    if (fromFile !== undefined) return fromFile;
    throw new UsageError(
      `the PostgreSQL store ${target.description} asks for a password and none was given: use --db-password-file, PGPASSWORD or ~/.pgpass`,
    );
  };
}

/** A pool of connections to the store's database; `max` bounds what one process holds. */
function pgPool(target: PgTarget, options: PgOpenOptions, ssl: PoolConfig['ssl']): Pool {
  const pg = loadPg();
  const config: PoolConfig = {
    host: target.host,
    port: target.port,
    database: target.database,
    user: target.user,
    password: passwordFor(target, options.env) as PoolConfig['password'],
    ssl,
    max: options.max ?? 4,
    connectionTimeoutMillis: 10_000,
    application_name: 'cerby-guests',
    types: { getTypeParser: typeParser as never },
  };
  const pool = new pg.Pool(config);
  // An idle connection the server drops (restart, failover) must not crash the process.
  pool.on('error', () => undefined);
  return pool;
}

/**
 * A pool and its first connection, or one clear line saying why not. `sslmode=prefer` tries TLS
 * first and, as libpq does, falls back to a plain connection when the server offers no TLS.
 */
export interface PgOpenOptions {
  /** Where PGPASSWORD is read (the factory's environment). */
  env: Record<string, string | undefined>;
  /** Connections one process holds at most. */
  max?: number;
}

export async function openPg(target: PgTarget, options: PgOpenOptions): Promise<{ pool: Pool; client: PoolClient }> {
  const attempt = async (ssl: PoolConfig['ssl']) => {
    const pool = pgPool(target, options, ssl);
    try {
      return { pool, client: await pool.connect() };
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw error;
    }
  };
  try {
    return await attempt(sslOption(target));
  } catch (error) {
    if (target.sslMode === 'prefer' && /does not support SSL/i.test((error as Error).message ?? '')) {
      try {
        return await attempt(false);
      } catch (plainError) {
        throw pgConnectError(plainError, target);
      }
    }
    throw pgConnectError(error, target);
  }
}

/**
 * Another pool to the same server, as `pool` connects (address, TLS, password), whose sessions
 * start with these settings (`-c name=value …`).
 */
export function siblingPool(pool: Pool, settings: string, max: number): Pool {
  const pg = loadPg();
  // pg-pool keeps the configuration it was made with as `options`, the password hidden (not enumerable).
  const config = (pool as unknown as { options: PoolConfig }).options;
  const sibling = new pg.Pool({ ...config, password: config.password, options: settings, max });
  sibling.on('error', () => undefined);
  return sibling;
}

/** What went wrong connecting, in words, with the URL but never the password. */
export function pgConnectError(error: unknown, target: PgTarget): Error {
  if (error instanceof UsageError) return error;
  const e = error as { code?: string; message?: string };
  const where = target.description;
  switch (e.code) {
    case 'ECONNREFUSED':
      return new FailureError(`cannot reach the PostgreSQL store ${where}: connection refused (is the server running and listening on ${target.host}:${target.port}?)`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new FailureError(`cannot reach the PostgreSQL store ${where}: no such host ${target.host}`);
    case 'ETIMEDOUT':
      return new FailureError(`cannot reach the PostgreSQL store ${where}: timed out`);
    case '28P01':
    case '28000':
      return new UsageError(`the PostgreSQL store ${where} refused the login: ${e.message ?? 'authentication failed'} (password from --db-password-file, PGPASSWORD or ~/.pgpass)`);
    case '3D000':
      return new UsageError(`the PostgreSQL store ${where}: ${e.message ?? 'no such database'} (create it first: see the README's team setup)`);
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'CERT_HAS_EXPIRED':
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return new FailureError(
        `the PostgreSQL store ${where}: its TLS certificate is not trusted (${e.message ?? e.code}); name its CA with sslrootcert=FILE, or accept it unverified with sslmode=require`,
      );
  }
  if (/does not support SSL/i.test(e.message ?? '')) {
    return new FailureError(`the PostgreSQL store ${where} does not offer TLS, and sslmode=${target.sslMode} requires it (sslmode=disable for a plain connection)`);
  }
  if (/no pg_hba\.conf entry|SASL/i.test(e.message ?? '')) {
    return new UsageError(`the PostgreSQL store ${where} refused the login: ${e.message} (password from --db-password-file, PGPASSWORD or ~/.pgpass)`);
  }
  return new FailureError(`the PostgreSQL store ${where}: ${e.message ?? String(error)}`);
}
