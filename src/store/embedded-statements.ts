/**
 * Statements of the embedded database (PGlite) run at the protocol level, so that named
 * statements are kept prepared as the server PostgreSQL keeps them
 * (docs/decisions/0039-embedded-prepared-statements.md).
 *
 * PGlite's own `query()` parses every statement again as the unnamed statement, plans it
 * again on every call and crosses into WebAssembly six times (Parse, Describe, Bind,
 * Describe, Execute, Sync). Here a statement the store names is parsed once under a name
 * of its own (Parse and Describe, once per statement text); each call is then one Bind,
 * Execute and Sync, and PostgreSQL's plan cache applies as on the server. Unnamed
 * statements (texts from an unbounded set) are parsed each time, in two crossings.
 *
 * Values are serialized by the parameter types PostgreSQL describes and rows parsed by
 * the result types, with PGlite's own serializers and parsers, so results are the same as
 * `query()`'s. Errors are PostgreSQL's (`DatabaseError`, SQLSTATE in `code`).
 */
import { parse, protocol, type PGlite } from '@electric-sql/pglite';
import { collector, readAnswer, type Answer, type Field } from './embedded-answer.js';

interface Prepared {
  /** Server-side name, `''` for the unnamed statement. */
  name: string;
  paramTypes: number[];
  /** The columns of its rows (none for statements that return no rows). */
  fields: Field[];
}

const { serialize } = protocol;

/** SQLSTATE 0A000 with this text: the columns behind a kept statement changed (DDL). */
const STALE_RESULT = /cached plan must not change result type/;

export interface EmbeddedStatements {
  /** Runs one statement; the caller holds PGlite's query lock. */
  run(sql: string, params: unknown[] | undefined, keep: boolean): Promise<Answer>;
}

/**
 * `notify` receives the notifications of statements run here (PGlite sees only those of
 * the statements it runs itself, such as COMMIT).
 */
export function embeddedStatements(
  db: PGlite,
  notify: (channel: string, payload: string) => void,
): EmbeddedStatements {
  const kept = new Map<string, Prepared>();
  let next = 0;

  const exec = (...messages: Uint8Array[]) =>
    db.execProtocolStream(concat(messages), { syncToFs: false });

  async function describe(sql: string, name: string, sync: boolean): Promise<Prepared> {
    const parsed = serialize.parse({ name, text: sql });
    const described = serialize.describe({ type: 'S', name });
    const messages = await (sync
      ? exec(parsed, described, serialize.sync())
      : exec(parsed, described).catch(async (error: unknown) => {
          await exec(serialize.sync());
          throw error;
        }));
    return {
      name,
      paramTypes: parse.parseDescribeStatementResults(messages),
      fields: messages.flatMap((m) =>
        m.name === 'rowDescription' ? (m as unknown as { fields: Field[] }).fields : [],
      ),
    };
  }

  async function prepared(sql: string, keep: boolean): Promise<Prepared> {
    if (!keep) return describe(sql, '', false);
    const known = kept.get(sql);
    if (known) return known;
    const statement = await describe(sql, `kite_embedded_${++next}`, true);
    kept.set(sql, statement);
    return statement;
  }

  return {
    async run(sql, params = [], keep) {
      const statement = await prepared(sql, keep);
      const values = params.map((value, i) => serializeValue(db, value, statement.paramTypes[i]));
      const answer = collector();
      await db.execProtocolRawStream(
        concat([
          serialize.bind({ statement: statement.name, values }),
          serialize.execute({}),
          serialize.sync(),
        ]),
        { syncToFs: false, onRawData: answer.onRawData },
      );
      const read = readAnswer(answer.bytes(), statement.fields, db.parsers);
      for (const { channel, payload } of read.notifications) notify(channel, payload);
      const { error } = read;
      if (!error) return read;
      // A kept statement whose columns changed under it (DDL) is parsed again: at once
      // outside a transaction (Bind refused it, so nothing ran), else on the next call.
      if (!keep || !STALE_RESULT.test(error.message)) throw error;
      kept.delete(sql);
      await exec(serialize.close({ type: 'S', name: statement.name }), serialize.sync());
      if (db.isInTransaction()) throw error;
      return this.run(sql, params, keep);
    },
  };
}

/** As PGlite's `query()` does: by the described type's serializer, else as text. */
function serializeValue(db: PGlite, value: unknown, type: number | undefined): string | null {
  if (value === null || value === undefined) return null;
  const serializer = type === undefined ? undefined : db.serializers[type];
  return serializer ? serializer(value) : (value as { toString(): string }).toString();
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0] as Uint8Array;
  const whole = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of parts) {
    whole.set(part, at);
    at += part.length;
  }
  return whole;
}
