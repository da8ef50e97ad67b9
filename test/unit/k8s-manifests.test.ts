// k8s/: every object valid against the Kubernetes (and KEDA, prometheus-operator) schemas, and the
// properties an operator relies on: probes, non-root, read-only root, resources, matching selectors.
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject';
import { TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1/TriggerAuthentication';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { parseDuration } from '../../src/config.ts';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';

const DIR = new URL('../../k8s/', import.meta.url);

interface Validatable {
  validate(): void;
}
type Model = new (data: never) => Validatable;

const MODELS: Record<string, Model> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
  'apps/v1/Deployment': Deployment,
  'batch/v1/Job': Job,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject,
  'keda.sh/v1alpha1/TriggerAuthentication': TriggerAuthentication,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule,
};

/** Free-form YAML: the schema models validate it; the assertions below read into it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;
type Manifest = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Loose };
  [k: string]: Loose;
};

const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
const manifests: (Manifest & { file: string })[] = files.flatMap((file) =>
  parseAllDocuments(readFileSync(new URL(file, DIR), 'utf8')).map((doc) => ({
    ...(doc.toJS() as Manifest),
    file,
  })),
);
const find = (kind: string, name?: string) => {
  const found = manifests.find((m) => m.kind === kind && (name === undefined || m.metadata.name === name));
  if (!found) throw new Error(`k8s/ has no ${kind}${name ? ` ${name}` : ''}`);
  return found;
};

describe('k8s/ manifests', () => {
  it.each(manifests.map((m) => [`${m.file}: ${m.kind} ${m.metadata.name}`, m] as const))(
    '%s is valid against its schema',
    (_, manifest) => {
      const Model = MODELS[`${manifest.apiVersion}/${manifest.kind}`];
      expect(Model, `no schema known for ${manifest.apiVersion} ${manifest.kind}`).toBeDefined();
      const { file: _file, ...data } = manifest;
      expect(() => new Model!(data as never).validate()).not.toThrow();
    },
  );

  it('kustomization.yaml lists every manifest but the Secret template', () => {
    const kustomization = parse(readFileSync(new URL('kustomization.yaml', DIR), 'utf8')) as {
      resources: string[];
    };
    expect([...kustomization.resources].sort()).toEqual(files.filter((f) => !f.includes('template')).sort());
  });

  it('runs the processor non-root, read-only, with probes, resources and a bounded shutdown', () => {
    const deployment = find('Deployment', 'buddy-stream');
    const pod: IPodSpec = deployment.spec.template.spec;
    const container: IContainer = pod.containers[0]!;
    expect(pod.securityContext?.runAsNonRoot).toBe(true);
    expect(container.securityContext?.readOnlyRootFilesystem).toBe(true);
    expect(container.securityContext?.allowPrivilegeEscalation).toBe(false);
    expect(container.securityContext?.capabilities?.drop).toEqual(['ALL']);
    expect(container.livenessProbe?.httpGet?.path).toBe('/healthz');
    expect(container.readinessProbe?.httpGet?.path).toBe('/readyz');
    expect(container.resources?.requests).toMatchObject({
      cpu: expect.any(String),
      memory: expect.any(String),
    });
    expect(container.resources?.limits?.memory).toBeDefined();
    // The temporary directory (tsx's compile cache) is the one writable place.
    expect(container.volumeMounts?.map((m) => m.mountPath)).toContain('/tmp');
    const config = find('ConfigMap', 'buddy-stream').data as Record<string, string>;
    const port = Number(config.METRICS_PORT);
    expect(container.ports?.find((p) => p.name === 'metrics')?.containerPort).toBe(port);
    const shutdownMs = parseDuration(config.SHUTDOWN_TIMEOUT!)!;
    // bin/buddy-stream exits at most 5 s after SHUTDOWN_TIMEOUT.
    expect(pod.terminationGracePeriodSeconds! * 1000).toBeGreaterThan(shutdownMs + 5_000);
    const job = find('Job', 'buddy-stream-migrate');
    expect(job.spec.template.spec.containers[0].args).toEqual(['migrate']);
    expect(job.spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem).toBe(true);
  });

  it('selects the processor pods from the Service, PDB, NetworkPolicy and ServiceMonitor', () => {
    const podLabels = find('Deployment', 'buddy-stream').spec.template.metadata.labels as Record<
      string,
      string
    >;
    const matches = (selector: Record<string, string>) =>
      Object.entries(selector).every(([k, v]) => podLabels[k] === v);
    expect(matches(find('Deployment').spec.selector.matchLabels)).toBe(true);
    expect(matches(find('Service').spec.selector)).toBe(true);
    expect(matches(find('PodDisruptionBudget').spec.selector.matchLabels)).toBe(true);
    expect(matches(find('NetworkPolicy').spec.podSelector.matchLabels)).toBe(true);
    const service = find('Service');
    const monitor = find('ServiceMonitor');
    expect(
      Object.entries(monitor.spec.selector.matchLabels).every(([k, v]) => service.metadata.labels[k] === v),
    ).toBe(true);
    expect(service.spec.ports.map((p: { name: string }) => p.name)).toContain(monitor.spec.endpoints[0].port);
  });

  it('scales on consumer lag up to the number of input partitions', () => {
    const scaled = find('ScaledObject');
    const config = find('ConfigMap', 'buddy-stream').data as Record<string, string>;
    expect(scaled.spec.scaleTargetRef.name).toBe(find('Deployment').metadata.name);
    expect(scaled.spec.maxReplicaCount).toBeLessThanOrEqual(Number(config.TOPIC_PARTITIONS));
    const trigger = scaled.spec.triggers[0];
    expect(trigger.type).toBe('kafka');
    expect(trigger.metadata.consumerGroup).toBe(config.KAFKA_GROUP_ID);
    expect(trigger.metadata.bootstrapServers).toBe(config.KAFKA_BROKERS);
    expect(find('TriggerAuthentication').metadata.name).toBe(trigger.authenticationRef.name);
  });

  it('reads every Secret key the pods mount from the Secret template', () => {
    const keys = Object.keys(find('Secret', 'buddy-stream').stringData as object);
    const deployment = find('Deployment', 'buddy-stream');
    const items = deployment.spec.template.spec.volumes.find((v: { secret?: unknown }) => v.secret).secret
      .items;
    for (const item of items as { key: string }[]) expect(keys).toContain(item.key);
    for (const container of [deployment, find('Job')].map((o) => o.spec.template.spec.containers[0])) {
      for (const env of container.env as { name: string; value?: string }[]) {
        if (env.name.endsWith('_FILE')) expect(keys).toContain(env.value!.split('/').at(-1));
      }
    }
  });

  it('carries the same alerts as deploy/prometheus/rules', () => {
    const rules = parse(
      readFileSync(new URL('../../deploy/prometheus/rules/buddy-stream.yml', import.meta.url), 'utf8'),
    ) as { groups: unknown };
    expect(find('PrometheusRule').spec.groups).toEqual(rules.groups);
  });
});
