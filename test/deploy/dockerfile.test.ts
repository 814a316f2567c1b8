import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, readRepoFile } from './promql.js';

/*
 * Static checks of deploy/Dockerfile and the root .dockerignore. No Docker engine runs here, so nothing is built;
 * what can go wrong without building is checked: stages, user, base image, healthcheck, COPY sources, and that the
 * entrypoint is the file `npm run build` produces. (hadolint is not packaged for Debian 12 and its npm wrapper needs
 * the binary or Docker: see deploy/README.md.)
 */

interface Instruction {
  op: string;
  args: string;
  line: number;
}
interface Stage {
  image: string;
  name: string | undefined;
  instructions: Instruction[];
}

/** Instructions with line continuations joined and comments dropped, grouped by stage. */
function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let line = lines[i] as string;
    if (/^\s*(#|$)/.test(line)) continue;
    while (line.endsWith('\\') && i + 1 < lines.length) line = `${line.slice(0, -1)} ${(lines[++i] as string).trim()}`;
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!m) throw new Error(`Dockerfile line ${start + 1}: cannot parse "${line}"`);
    const op = (m[1] as string).toUpperCase();
    const args = (m[2] as string).trim();
    if (op === 'FROM') {
      const from = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      if (!from) throw new Error(`Dockerfile line ${start + 1}: bad FROM`);
      stages.push({ image: from[1] as string, name: from[2], instructions: [] });
      continue;
    }
    const stage = stages[stages.length - 1];
    if (!stage) throw new Error(`Dockerfile line ${start + 1}: ${op} before FROM`);
    stage.instructions.push({ op, args, line: start + 1 });
  }
  return stages;
}

/** COPY/ADD flags and sources (the last word is the destination). */
function copyParts(args: string): { flags: Record<string, string>; sources: string[] } {
  const words = args.split(/\s+/);
  const flags: Record<string, string> = {};
  while (words[0]?.startsWith('--')) {
    const [k, v] = (words.shift() as string).slice(2).split('=');
    flags[k as string] = v ?? '';
  }
  return { flags, sources: words.slice(0, -1) };
}

/** Docker's .dockerignore semantics, enough for this file: last matching pattern wins, parents match children. */
function dockerignore(text: string): (path: string) => boolean {
  const rules = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const pattern = (negate ? l.slice(1) : l).replace(/^\/+|\/+$/g, '');
      const re = pattern
        .split('/')
        .map((seg) =>
          seg === '**'
            ? '(?:.*)'
            : seg
                .replace(/[.+^${}()|[\]\\]/g, '\\$&')
                .replace(/\*/g, '[^/]*')
                .replace(/\?/g, '[^/]'),
        )
        .join('/')
        .replace(/\(\?:\.\*\)\//g, '(?:.*/)?');
      return { negate, re: new RegExp(`^${re}$`) };
    });
  return (path: string) => {
    const parts = path.split('/');
    let excluded = false;
    for (const { negate, re } of rules) {
      const hit = parts.some((_, i) => re.test(parts.slice(0, i + 1).join('/')));
      if (hit) excluded = !negate;
    }
    return excluded;
  };
}

const stages = parseDockerfile(readRepoFile('deploy/Dockerfile'));
const final = stages[stages.length - 1] as Stage;
const ops = (stage: Stage, op: string) => stage.instructions.filter((i) => i.op === op);
const pkg = JSON.parse(readRepoFile('package.json')) as {
  bin: Record<string, string>;
  scripts: Record<string, string>;
};
const tsconfig = JSON.parse(readRepoFile('tsconfig.json')) as {
  compilerOptions: { outDir: string; rootDir: string };
  include: string[];
};

describe('deploy/Dockerfile', () => {
  it('is multi-stage on one pinned Node LTS major (even, supported by engines), never latest', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const s of stages) {
      const m = /^node:(\d+)(-[a-z]+)?(-slim|-alpine)?$/.exec(s.image);
      expect(m, `FROM ${s.image}: expected node:<major>[-variant]`).not.toBeNull();
      const major = Number(m?.[1]);
      expect(major % 2, `${s.image}: odd Node majors are never LTS`).toBe(0);
      expect(major).toBeGreaterThanOrEqual(20);
    }
    expect(new Set(stages.map((s) => s.image)).size).toBe(1);
  });

  it('runs the final stage as a numeric non-root user (so runAsNonRoot can verify it)', () => {
    const user = ops(final, 'USER').at(-1)?.args;
    expect(user).toMatch(/^[1-9]\d*(:\d+)?$/);
  });

  it('has a HEALTHCHECK on the admin /healthz and exposes both ports', () => {
    const hc = ops(final, 'HEALTHCHECK');
    expect(hc).toHaveLength(1);
    expect(hc[0]?.args).toContain('http://127.0.0.1:8081/healthz');
    expect(ops(final, 'EXPOSE').flatMap((e) => e.args.split(/\s+/))).toEqual(['8080', '8081']);
  });

  it('copies sources that exist and that .dockerignore lets into the context; --from names an earlier stage', () => {
    const ignored = dockerignore(readRepoFile('.dockerignore'));
    stages.forEach((stage, index) => {
      for (const copy of [...ops(stage, 'COPY'), ...ops(stage, 'ADD')]) {
        const { flags, sources } = copyParts(copy.args);
        if (flags.from !== undefined) {
          const earlier = stages.slice(0, index).map((s) => s.name);
          expect(earlier, `line ${copy.line}`).toContain(flags.from);
          continue;
        }
        for (const src of sources) {
          expect(existsSync(join(ROOT, src)), `line ${copy.line}: ${src} does not exist`).toBe(true);
          expect(ignored(src), `line ${copy.line}: ${src} is excluded by .dockerignore`).toBe(false);
        }
      }
    });
  });

  it('keeps the build context small: .dockerignore drops node_modules, dist, .git, tests and tools', () => {
    const ignored = dockerignore(readRepoFile('.dockerignore'));
    for (const path of ['node_modules/x', 'dist/src/main.js', '.git/HEAD', 'test/x.test.ts', 'tools/unleash']) {
      expect(ignored(path), path).toBe(true);
    }
    expect(ignored('src/main.ts')).toBe(false);
  });

  it('compiles every tsconfig include in the build stage with `npm run build`', () => {
    const build = stages.find((s) => ops(s, 'RUN').some((r) => r.args.includes('npm run build')));
    expect(build, 'a stage runs npm run build').toBeDefined();
    const copied = new Set(ops(build as Stage, 'COPY').flatMap((c) => copyParts(c.args).sources));
    for (const dir of [...tsconfig.include, 'tsconfig.json']) expect(copied, dir).toContain(dir);
    expect(pkg.scripts.build).toBe('tsc -p tsconfig.json');
  });

  it('starts dist/src/main.js, the file the build emits for src/main.ts, as package.json does', () => {
    const entry = JSON.parse(ops(final, 'ENTRYPOINT').at(-1)?.args ?? '[]') as string[];
    const cmd = JSON.parse(ops(final, 'CMD').at(-1)?.args ?? '[]') as string[];
    const { outDir, rootDir } = tsconfig.compilerOptions;
    const emitted = join(outDir, 'src/main.js').replaceAll('\\', '/');
    expect(rootDir).toBe('.');
    expect(entry.at(-1)).toBe(emitted);
    expect(pkg.bin.gateway).toBe(emitted);
    expect([...entry, ...cmd].join(' ')).toBe(pkg.scripts['start:prod']);
  });

  it('ships data/ next to package.json in the runtime image (src/paths.ts finds the project root by both)', () => {
    const sources = ops(final, 'COPY').flatMap((c) => copyParts(c.args).sources);
    expect(sources).toContain('package.json');
    expect(sources).toContain('data');
    expect(readRepoFile('src/paths.ts')).toContain("existsSync(join(dir, 'data'))");
  });
});

describe('the .dockerignore matcher behind these checks', () => {
  it('applies the last matching rule, with parents matching their children', () => {
    const ignored = dockerignore('*\n!src/\n**/*.test.ts\n');
    expect(ignored('src/a/b.ts')).toBe(false);
    expect(ignored('src/a/b.test.ts')).toBe(true);
    expect(ignored('routes/x.ts')).toBe(true);
  });
});
