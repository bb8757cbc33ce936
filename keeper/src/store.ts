/**
 * The keeper's state on disk: Node's built-in SQLite (`node:sqlite`) in WAL mode. Three keyed tables (positions,
 * orders, LP requests) hold one JSON document per row; every write made while applying a block is journalled with the
 * row's previous value, so the blocks of a reorg are rolled back exactly. Each block is applied in one transaction
 * together with the cursor (last block applied) and its hash, so a crash at any instant loses nothing and a restart
 * resumes after the cursor without a rescan.
 */
import { createRequire } from "node:module";
import type { StatementSync } from "node:sqlite";

/**
 * `node:sqlite`, loaded without its one-time "SQLite is an experimental feature" warning: `npm run keeper` turns the
 * warning off with a flag, but a process that hosts the keeper's core (the demo, the tests) would print it.
 */
export const { DatabaseSync } = ((): typeof import("node:sqlite") => {
  const emit = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    if (!String(typeof warning === "string" ? warning : warning.message).includes("SQLite")) {
      (emit as (...args: unknown[]) => void).call(process, warning, ...rest);
    }
  }) as typeof process.emitWarning;
  try {
    return createRequire(import.meta.url)("node:sqlite") as typeof import("node:sqlite");
  } finally {
    process.emitWarning = emit;
  }
})();

export type Table = "positions" | "orders" | "lp";
/** Version of the rows' shape: a database of another version is refused (a rescan rebuilds it). */
export const STATE_SCHEMA = "2";
const TABLES: readonly Table[] = ["positions", "orders", "lp"];

export interface Cursor {
  block: bigint;
  hash: string;
}

export class Store {
  readonly db: InstanceType<typeof DatabaseSync>;
  /** In-memory mirror of every table (the evaluation never reads SQLite). */
  readonly rows: Record<Table, Map<string, unknown>> = { positions: new Map(), orders: new Map(), lp: new Map() };
  private readonly put: Record<Table, StatementSync>;
  private readonly del: Record<Table, StatementSync>;
  private readonly journal: StatementSync;
  private readonly setMeta: StatementSync;
  private readonly setHash: StatementSync;
  /** The block being applied, and whether its writes are journalled (only the last `reorgDepth` blocks need it). */
  private current: { block: bigint; journal: boolean } | undefined;

  constructor(path: string) {
    this.db = new DatabaseSync(path);
    this.db.exec(`
      PRAGMA journal_mode = WAL;
      PRAGMA synchronous = NORMAL;
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS blocks (number INTEGER PRIMARY KEY, hash TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS undo (seq INTEGER PRIMARY KEY AUTOINCREMENT, block INTEGER NOT NULL, tbl TEXT NOT NULL,
        key TEXT NOT NULL, prev TEXT);
      CREATE INDEX IF NOT EXISTS undo_block ON undo (block);
      ${TABLES.map((t) => `CREATE TABLE IF NOT EXISTS ${t} (key TEXT PRIMARY KEY, data TEXT NOT NULL);`).join("\n")}
    `);
    this.put = Object.fromEntries(
      TABLES.map((t) => [t, this.db.prepare(`INSERT OR REPLACE INTO ${t} (key, data) VALUES (?, ?)`)]),
    ) as Record<Table, StatementSync>;
    this.del = Object.fromEntries(TABLES.map((t) => [t, this.db.prepare(`DELETE FROM ${t} WHERE key = ?`)])) as Record<
      Table,
      StatementSync
    >;
    this.journal = this.db.prepare("INSERT INTO undo (block, tbl, key, prev) VALUES (?, ?, ?, ?)");
    this.setMeta = this.db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)");
    this.setHash = this.db.prepare("INSERT OR REPLACE INTO blocks (number, hash) VALUES (?, ?)");
    for (const t of TABLES) {
      for (const row of this.db.prepare(`SELECT key, data FROM ${t}`).all() as { key: string; data: string }[]) {
        this.rows[t].set(row.key, parse(row.data));
      }
    }
  }

  meta(key: string): string | undefined {
    const row = this.db.prepare("SELECT value FROM meta WHERE key = ?").get(key) as { value: string } | undefined;
    return row?.value;
  }

  writeMeta(key: string, value: string): void {
    this.setMeta.run(key, value);
  }

  cursor(): Cursor | undefined {
    const block = this.meta("cursor");
    if (block === undefined) return undefined;
    return { block: BigInt(block), hash: this.meta("cursorHash") ?? "" };
  }

  /** Hashes of the journalled blocks from `from` on, as recorded when they were applied. */
  hashesFrom(from: bigint): Map<bigint, string> {
    const rows = this.db.prepare("SELECT number, hash FROM blocks WHERE number >= ? ORDER BY number").all(from) as {
      number: number;
      hash: string;
    }[];
    return new Map(rows.map((r) => [BigInt(r.number), r.hash]));
  }

  /**
   * Applies one block in one transaction: `apply` writes through `set` / `remove`; the cursor moves to the block.
   * Blocks deeper than `reorgDepth` below the head are not journalled (no reorg reaches them).
   */
  applyBlock(block: bigint, hash: string, journal: boolean, apply: () => void): void {
    this.db.exec("BEGIN");
    const undo: [Table, string, unknown][] = [];
    this.current = { block, journal };
    this.pendingUndo = undo;
    try {
      apply();
      if (journal) this.setHash.run(block, hash);
      this.setMeta.run("cursor", block.toString());
      this.setMeta.run("cursorHash", hash);
      this.db.exec("COMMIT");
    } catch (error) {
      this.db.exec("ROLLBACK");
      // The mirror follows the database: undo what `apply` changed in memory.
      for (let i = undo.length - 1; i >= 0; i--) {
        const [t, key, prev] = undo[i]!;
        if (prev === undefined) this.rows[t].delete(key);
        else this.rows[t].set(key, prev);
      }
      throw error;
    } finally {
      this.current = undefined;
      this.pendingUndo = undefined;
    }
  }

  private pendingUndo: [Table, string, unknown][] | undefined;

  private record(t: Table, key: string): void {
    const prev = this.rows[t].get(key);
    this.pendingUndo?.push([t, key, prev]);
    if (this.current?.journal) {
      this.journal.run(this.current.block, t, key, prev === undefined ? null : stringify(prev));
    }
  }

  set(t: Table, key: string, value: unknown): void {
    this.record(t, key);
    this.rows[t].set(key, value);
    this.put[t].run(key, stringify(value));
  }

  remove(t: Table, key: string): void {
    if (!this.rows[t].has(key)) return;
    this.record(t, key);
    this.rows[t].delete(key);
    this.del[t].run(key);
  }

  /**
   * Undoes every block above `ancestor` (a reorg replaced them): rows get their values from before, the cursor moves
   * back to `ancestor`. Returns how many blocks were rolled back.
   */
  rollbackTo(ancestor: Cursor): number {
    const entries = this.db
      .prepare("SELECT tbl, key, prev FROM undo WHERE block > ? ORDER BY seq DESC")
      .all(ancestor.block) as { tbl: Table; key: string; prev: string | null }[];
    const blocks = this.db.prepare("SELECT COUNT(*) AS n FROM blocks WHERE number > ?").get(ancestor.block) as {
      n: number;
    };
    this.db.exec("BEGIN");
    try {
      for (const e of entries) {
        if (e.prev === null) {
          this.rows[e.tbl].delete(e.key);
          this.del[e.tbl].run(e.key);
        } else {
          this.rows[e.tbl].set(e.key, parse(e.prev));
          this.put[e.tbl].run(e.key, e.prev);
        }
      }
      this.db.prepare("DELETE FROM undo WHERE block > ?").run(ancestor.block);
      this.db.prepare("DELETE FROM blocks WHERE number > ?").run(ancestor.block);
      this.setMeta.run("cursor", ancestor.block.toString());
      this.setMeta.run("cursorHash", ancestor.hash);
      this.db.exec("COMMIT");
    } catch (error) {
      this.db.exec("ROLLBACK");
      throw error;
    }
    return blocks.n;
  }

  /** Drops journal entries no reorg of `depth` blocks can reach any more. */
  prune(head: bigint, depth: number): void {
    const below = head - BigInt(depth) - 1n;
    if (below <= 0n) return;
    this.db.prepare("DELETE FROM undo WHERE block < ?").run(below);
    this.db.prepare("DELETE FROM blocks WHERE number < ?").run(below);
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }
}

/** JSON with bigints as `{"$n": "…"}`-free strings tagged by a suffix: "123n". */
function stringify(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? `${v}n` : v));
}

function parse(text: string): unknown {
  return JSON.parse(text, (_k, v: unknown) =>
    typeof v === "string" && /^-?\d+n$/.test(v) ? BigInt(v.slice(0, -1)) : v,
  );
}
