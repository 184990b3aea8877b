import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

const DIR = path.join(__dirname, '..', '..', 'deploy', 'kubernetes');
interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}
const manifests: Manifest[] = readdirSync(DIR)
  .filter((file) => file.endsWith('.yaml'))
  .map((file) => parse(readFileSync(path.join(DIR, file), 'utf8')) as Manifest);
const byKind = (kind: string) => {
  const found = manifests.filter((manifest) => manifest.kind === kind);
  expect(found).toHaveLength(1);
  return found[0]!;
};

describe('deploy/kubernetes', () => {
  const deployment = byKind('Deployment');
  const labels = deployment.spec.template.metadata.labels as Record<string, string>;
  const pod = deployment.spec.template.spec;
  const container = pod.containers[0];

  it('has exactly a Deployment, a Service, a HorizontalPodAutoscaler and a PodDisruptionBudget', () => {
    expect(manifests.map((manifest) => `${manifest.apiVersion} ${manifest.kind}`).sort()).toEqual([
      'apps/v1 Deployment',
      'autoscaling/v2 HorizontalPodAutoscaler',
      'policy/v1 PodDisruptionBudget',
      'v1 Service',
    ]);
  });

  it('the Deployment selects its own pods and probes /readyz and /healthz on the container port', () => {
    expect(deployment.spec.selector.matchLabels).toEqual(labels);
    expect(container.ports).toEqual([{ name: 'http', containerPort: 4000 }]);
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(container.env).toContainEqual({ name: 'NODE_ENV', value: 'production' });
  });

  it('sets resources and a locked-down security context', () => {
    expect(container.resources.requests).toEqual({
      cpu: expect.any(String),
      memory: expect.any(String),
    });
    expect(container.resources.limits.memory).toEqual(expect.any(String));
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(pod.automountServiceAccountToken).toBe(false);
  });

  it('gives in-flight requests time to finish: grace period > preStop + SHUTDOWN_TIMEOUT_MS', () => {
    const shutdownMs = Number(
      container.env.find((entry: { name: string }) => entry.name === 'SHUTDOWN_TIMEOUT_MS').value,
    );
    const preStopSeconds = container.lifecycle.preStop.sleep.seconds as number;
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(preStopSeconds + shutdownMs / 1000);
  });

  it('the Service, HPA and PDB point at the Deployment and its pods', () => {
    const service = byKind('Service');
    expect(service.spec.selector).toEqual(labels);
    expect(service.spec.ports[0].targetPort).toBe('http');
    const hpa = byKind('HorizontalPodAutoscaler');
    expect(hpa.spec.scaleTargetRef).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: deployment.metadata.name,
    });
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
    expect(hpa.spec.maxReplicas).toBeGreaterThan(hpa.spec.minReplicas);
    const pdb = byKind('PodDisruptionBudget');
    expect(pdb.spec.selector.matchLabels).toEqual(labels);
    expect(pdb.spec.minAvailable).toBeLessThan(hpa.spec.minReplicas);
  });
});
