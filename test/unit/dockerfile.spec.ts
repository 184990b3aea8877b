import { readFileSync } from 'node:fs';
import path from 'node:path';
import { readDockerfile } from '../../scripts/dockerfile';

const ROOT = path.join(__dirname, '..', '..');
const stages = readDockerfile(path.join(ROOT, 'Dockerfile'));
const [build, runtime] = stages;
const steps = (keyword: string) =>
  runtime?.instructions.filter((step) => step.keyword === keyword).map((step) => step.args) ?? [];

describe('Dockerfile', () => {
  it('has a build stage and a runtime stage, both on the current Node LTS (22) pinned by minor', () => {
    expect(stages).toHaveLength(2);
    expect(build?.name).toBe('build');
    for (const stage of stages)
      expect(stage.from).toMatch(/^node:22\.\d+(\.\d+)?-(bookworm-)?slim$/);
    expect(new Set(stages.map((stage) => stage.from)).size).toBe(1);
  });

  it('installs with the project .npmrc in both stages (it keeps types-only peers out of production)', () => {
    for (const stage of stages)
      expect(stage.instructions).toContainEqual({
        keyword: 'COPY',
        args: 'package.json package-lock.json .npmrc ./',
      });
    expect(readFileSync(path.join(ROOT, '.npmrc'), 'utf8')).toMatch(/^legacy-peer-deps=true$/m);
  });

  it('builds with dev dependencies and codegen in the build stage', () => {
    const runs =
      build?.instructions.filter((step) => step.keyword === 'RUN').map((step) => step.args) ?? [];
    expect(runs).toContain('npm ci --no-audit --no-fund');
    expect(
      runs.some((run) => run.includes('npm run codegen') && run.includes('npm run build')),
    ).toBe(true);
  });

  it('installs production dependencies only at runtime, and copies no node_modules from the build', () => {
    expect(steps('RUN').some((run) => /npm ci --omit=dev/.test(run))).toBe(true);
    expect(steps('COPY').filter((copy) => copy.includes('node_modules'))).toEqual([]);
    expect(steps('COPY')).toContain('--from=build /app/dist ./dist');
  });

  it('runs as a non-root user, with a HEALTHCHECK on /healthz and the production environment', () => {
    expect(steps('USER')).toEqual(['node']);
    const userAt = runtime?.instructions.findIndex((step) => step.keyword === 'USER') ?? -1;
    const cmdAt = runtime?.instructions.findIndex((step) => step.keyword === 'CMD') ?? -1;
    expect(userAt).toBeGreaterThan(-1);
    expect(userAt).toBeLessThan(cmdAt);
    expect(steps('HEALTHCHECK').join()).toContain('/healthz');
    expect(steps('ENV')).toContain('NODE_ENV=production');
    expect(steps('CMD')).toEqual(['["node", "dist/index.js"]']);
  });

  it('holds no secret: no token, password or key in ENV or ARG, and none copied in', () => {
    for (const stage of stages)
      for (const step of stage.instructions)
        if (step.keyword === 'ENV' || step.keyword === 'ARG')
          expect(step.args).not.toMatch(/token|secret|password|key|authorization/i);
    const ignored = readFileSync(path.join(ROOT, '.dockerignore'), 'utf8').split('\n');
    for (const entry of ['node_modules', '.git', '.env', 'test', 'dist'])
      expect(ignored).toContain(entry);
  });
});
