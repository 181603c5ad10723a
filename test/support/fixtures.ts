import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** The real-world samples, copied into the repository (provenance in test/fixtures/real/SOURCES.md). */
export const FIXTURES_DIR = path.join(__dirname, '../fixtures/real');

/** A fixture file, parsed, exactly as published (never tidied). */
export const fixture = (name: string): unknown => JSON.parse(readFileSync(path.join(FIXTURES_DIR, name), 'utf8'));

/** Every JSON fixture, sorted: table-driven tests cover a new file without being edited. */
export const fixtureNames = (): string[] =>
  readdirSync(FIXTURES_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort();

/** A deep copy to modify in a test (the file itself is never changed). */
export const copyOf = <T>(value: T): T => structuredClone(value);
