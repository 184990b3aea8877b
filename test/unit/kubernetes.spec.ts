import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { loadConfig } from '../../src/config';

const DIR = path.join(__dirname, '..', '..', 'deploy', 'kubernetes');
/** The parts of each manifest kind these tests read (what the YAML is expected to hold, checked below). */
type Labels = Record<string, string>;
interface LabelSelector {
  matchLabels: Labels;
}
interface Container {
  args: string[];
  env: Array<{ name: string; value: string }>;
  ports: unknown[];
  readinessProbe: { httpGet: unknown };
  livenessProbe: { httpGet: unknown };
  resources: { requests: unknown; limits: Record<string, unknown> };
  securityContext: unknown;
  lifecycle: { preStop: { sleep: { seconds: number } } };
}
interface PodSpec {
  containers: Container[];
  securityContext: unknown;
  automountServiceAccountToken: boolean;
  terminationGracePeriodSeconds: number;
}
interface Specs {
  Deployment: {
    selector: LabelSelector;
    strategy: { rollingUpdate: { maxSurge: number } };
    template: { metadata: { labels: Labels }; spec: PodSpec };
  };
  Service: {
    selector: Labels;
    ports: Array<{ name: string; port: number; targetPort: number | string }>;
  };
  NetworkPolicy: {
    podSelector: LabelSelector;
    policyTypes: string[];
    ingress: unknown[];
    egress: Array<{ to: unknown[]; ports: unknown[] }>;
  };
  HorizontalPodAutoscaler: { scaleTargetRef: unknown; minReplicas: number; maxReplicas: number };
  PodDisruptionBudget: { selector: LabelSelector; minAvailable: number };
}
interface Manifest<Spec = unknown> {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: Spec;
}
const GATEWAY = 'intune-graphql-gateway';
const REDIS = 'intune-graphql-gateway-redis';
const manifests: Manifest[] = readdirSync(DIR)
  .filter((file) => file.endsWith('.yaml'))
  .flatMap((file) => parseAllDocuments(readFileSync(path.join(DIR, file), 'utf8')))
  .map((document) => document.toJS() as Manifest);
const byKind = <Kind extends keyof Specs>(kind: Kind, name = GATEWAY) => {
  const found = manifests.filter(
    (manifest) => manifest.kind === kind && manifest.metadata.name === name,
  );
  expect(found).toHaveLength(1);
  return found[0] as Manifest<Specs[Kind]>;
};

describe('deploy/kubernetes', () => {
  const deployment = byKind('Deployment');
  const labels = deployment.spec.template.metadata.labels;
  const pod = deployment.spec.template.spec;
  const container = pod.containers[0]!;

  it('has a Deployment, a Service, an HPA, a PDB and a NetworkPolicy for the gateway, and a Redis for its quotas', () => {
    const names = manifests.map((m) => `${m.apiVersion} ${m.kind} ${m.metadata.name}`).sort();
    expect(names).toEqual([
      `apps/v1 Deployment ${GATEWAY}`,
      `apps/v1 Deployment ${REDIS}`,
      `autoscaling/v2 HorizontalPodAutoscaler ${GATEWAY}`,
      `networking.k8s.io/v1 NetworkPolicy ${GATEWAY}`,
      `networking.k8s.io/v1 NetworkPolicy ${REDIS}`,
      `policy/v1 PodDisruptionBudget ${GATEWAY}`,
      `v1 Service ${GATEWAY}`,
      `v1 Service ${REDIS}`,
    ]);
  });

  it('the gateway shares its quota windows through the Redis, reachable from its pods only', () => {
    const redis = byKind('Deployment', REDIS);
    const redisLabels = redis.spec.template.metadata.labels;
    const redisContainer = redis.spec.template.spec.containers[0]!;
    const service = byKind('Service', REDIS);
    expect(redisLabels).toMatchObject(redis.spec.selector.matchLabels);
    expect(redisLabels).toMatchObject(service.spec.selector);
    // The gateway's own selectors must not pick the Redis pods.
    expect(redisLabels['app.kubernetes.io/name']).not.toBe(labels['app.kubernetes.io/name']);
    expect(service.spec.ports).toEqual([{ name: 'redis', port: 6379, targetPort: 'redis' }]);
    expect(container.env).toContainEqual({
      name: 'REDIS_URL',
      value: `redis://${REDIS}:${service.spec.ports[0]!.port}`,
    });
    // No persistence: the windows live 20 s; refuse writes when full rather than forget calls.
    expect(redisContainer.args.join(' ')).toMatch(
      /--save {2}--appendonly no .*--maxmemory-policy noeviction/,
    );
    expect(redisContainer.securityContext).toEqual(container.securityContext);
    expect(redis.spec.template.spec.securityContext).toMatchObject({ runAsNonRoot: true });
    const policy = byKind('NetworkPolicy', REDIS);
    expect(redisLabels).toMatchObject(policy.spec.podSelector.matchLabels);
    expect(policy.spec.ingress).toEqual([
      { from: [{ podSelector: { matchLabels: labels } }], ports: [{ port: 'redis' }] },
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
      cpu: expect.any(String) as unknown,
      memory: expect.any(String) as unknown,
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

  // The settings the gateway would run with: the container's environment through the gateway's own loadConfig.
  const effective = () =>
    loadConfig(Object.fromEntries(container.env.map((entry) => [entry.name, entry.value])));

  it('while Redis is unreachable, the replicas together stay within the limits: GRAPH_QUOTA_REPLICAS counts every pod that can run', () => {
    const hpa = byKind('HorizontalPodAutoscaler');
    const { maxSurge } = deployment.spec.strategy.rollingUpdate;
    expect(effective().redis).not.toBeNull();
    expect(effective().quotas.replicas).toBe(hpa.spec.maxReplicas + maxSurge);
  });

  it('drains for at least one operation deadline: SHUTDOWN_TIMEOUT_MS >= GRAPH_DEADLINE_MS', () => {
    const config = effective();
    expect(config.shutdownTimeoutMs).toBeGreaterThanOrEqual(config.graphDeadlineMs);
  });

  it('gives in-flight requests time to finish: grace period > preStop + both timeouts', () => {
    const config = effective();
    const preStopSeconds = container.lifecycle.preStop.sleep.seconds;
    const longestMs = Math.max(config.shutdownTimeoutMs, config.graphDeadlineMs);
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(preStopSeconds + longestMs / 1000);
  });

  it('says that the preStop sleep action needs Kubernetes 1.30+, with the fallback for older clusters', () => {
    const text = readFileSync(path.join(DIR, 'deployment.yaml'), 'utf8');
    expect(text).toMatch(/`sleep` action needs\s+#?\s*Kubernetes 1\.30 or later/);
    expect(text).toContain("exec: { command: ['sleep', '5'] }");
  });

  it('limits egress to DNS, Graph over HTTPS (public addresses) and the quota Redis', () => {
    const policy = byKind('NetworkPolicy');
    expect(policy.spec.podSelector.matchLabels).toEqual(labels);
    expect(policy.spec.policyTypes).toEqual(['Egress']);
    const rules = policy.spec.egress;
    // Every rule names both where and which ports: an empty `to` or `ports` would open everything.
    for (const rule of rules) {
      expect(rule.to.length).toBeGreaterThan(0);
      expect(rule.ports.length).toBeGreaterThan(0);
    }
    expect(rules.map((rule) => rule.ports)).toEqual([
      [
        { protocol: 'UDP', port: 53 },
        { protocol: 'TCP', port: 53 },
      ],
      [{ protocol: 'TCP', port: 443 }],
      [{ protocol: 'TCP', port: 6379 }],
    ]);
    expect(rules[0]!.to).toEqual([
      {
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
        podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
      },
    ]);
    const blocks = (rules[1]!.to as Array<{ ipBlock: { cidr: string; except: string[] } }>).map(
      (entry) => entry.ipBlock,
    );
    expect(blocks.map((block) => block.cidr)).toEqual(['0.0.0.0/0', '::/0']);
    expect(blocks[0]!.except).toEqual(
      expect.arrayContaining(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16']),
    );
    const redis = byKind('Deployment', REDIS);
    const [redisPods] = rules[2]!.to as Array<{ podSelector: { matchLabels: object } }>;
    expect(rules[2]!.to).toHaveLength(1);
    expect(redis.spec.template.metadata.labels).toMatchObject(redisPods!.podSelector.matchLabels);
    expect(redisPods!.podSelector.matchLabels).toEqual({ 'app.kubernetes.io/name': REDIS });
    expect(byKind('Service', REDIS).spec.ports[0]!.port).toBe(6379);
  });

  it('the Service, HPA and PDB point at the Deployment and its pods', () => {
    const service = byKind('Service');
    expect(service.spec.selector).toEqual(labels);
    expect(service.spec.ports[0]!.targetPort).toBe('http');
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
