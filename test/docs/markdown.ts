import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/** The repository root: every file these tests read is inside it. */
export const ROOT = join(__dirname, '..', '..');

/** Fenced blocks in these languages are shell a reader pastes; others (json, text, trees) are not. */
const SHELL_LANGUAGES = new Set(['bash', 'sh', 'shell', 'zsh']);

export interface ShellBlock {
  /** Path relative to the repository root, e.g. docs/runbooks/kill-switch.md. */
  readonly file: string;
  /** 1-based line of the first line inside the fence. */
  readonly line: number;
  readonly lines: readonly string[];
}

/** README.md and every Markdown file under docs/, sorted. */
export const documentedFiles = (): string[] => {
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return walk(path);
      return entry.isFile() && entry.name.endsWith('.md') ? [path] : [];
    });
  return ['README.md', ...walk(join(ROOT, 'docs')).map((path) => relative(ROOT, path))].sort();
};

/** The shell blocks of one Markdown file, in order. An unterminated fence is an error. */
export const shellBlocks = (file: string, text = readFileSync(join(ROOT, file), 'utf8')): ShellBlock[] => {
  const blocks: ShellBlock[] = [];
  let open: { fence: string; language: string; line: number; lines: string[] } | undefined;
  text.split('\n').forEach((raw, index) => {
    const fence = /^ {0,3}(`{3,}|~{3,})\s*([\w-]*)/.exec(raw);
    if (!open) {
      if (fence) open = { fence: fence[1]!, language: fence[2]!.toLowerCase(), line: index + 2, lines: [] };
      return;
    }
    if (fence && raw.trim().startsWith(open.fence) && raw.trim().replace(/[`~]/g, '') === '') {
      if (SHELL_LANGUAGES.has(open.language)) blocks.push({ file, line: open.line, lines: open.lines });
      open = undefined;
      return;
    }
    open.lines.push(raw);
  });
  if (open) throw new Error(`${file}:${open.line - 1}: code fence never closed`);
  return blocks;
};

/** The index of the runbooks, whose shell blocks are the common setup. */
export const COMMON_SETUP = 'docs/runbooks/README.md';
/** How a runbook tells its reader to run the common setup first. */
export const SETUP_LINK = '](README.md#common-setup';

/** The blocks a reader pastes for `page`: the common setup first when the page says to run it. */
export const sessionBlocks = (page: string): ShellBlock[] => {
  const text = readFileSync(join(ROOT, page), 'utf8');
  const setup = page !== COMMON_SETUP && page.startsWith('docs/runbooks/') && text.includes(SETUP_LINK) ? shellBlocks(COMMON_SETUP) : [];
  return [...setup, ...shellBlocks(page, text)];
};
