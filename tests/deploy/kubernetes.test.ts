/**
 * The Kubernetes manifests in deploy/kubernetes are valid against the Kubernetes schemas
 * (kubernetes-models), and say what the service needs: readiness on /healthz, a liveness probe,
 * both ports, resources, a grace period longer than the shutdown timeout, a disruption budget,
 * and the challenge configuration as a ConfigMap that matches the shipped one.
 */
import { expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { Deployment } from 'kubernetes-models/apps/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Service } from 'kubernetes-models/v1';
import { parseChallengeConfig } from '../../src/config/challenge-config.ts';

const manifest = (file: string) =>
  Bun.YAML.parse(readFileSync(`deploy/kubernetes/${file}`, 'utf8')) as object;
const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;

test('every manifest validates against the Kubernetes schema', () => {
  // Each constructor keeps the manifest as given; validate() checks it against the API schema.
  expect(() => new Deployment(manifest('deployment.yaml') as Deployment).validate()).not.toThrow();
  expect(() => new Service(manifest('service.yaml') as Service).validate()).not.toThrow();
  expect(() =>
    new PodDisruptionBudget(manifest('pod-disruption-budget.yaml') as PodDisruptionBudget).validate(),
  ).not.toThrow();
  expect(() => new ConfigMap(manifest('configmap.yaml') as ConfigMap).validate()).not.toThrow();
});

test('the Deployment has the probes, ports, resources and grace period the service needs', () => {
  const deployment = new Deployment(manifest('deployment.yaml') as Deployment);
  const pod = deployment.spec?.template.spec;
  const container = pod?.containers[0];
  expect(container?.readinessProbe?.httpGet?.path).toBe('/healthz');
  expect(container?.livenessProbe?.grpc?.port ?? container?.livenessProbe?.httpGet?.port).toBeDefined();
  expect(container?.ports?.map((port) => port.containerPort).sort()).toEqual([6565, 8000]);
  expect(container?.resources?.requests).toMatchObject({
    cpu: expect.any(String),
    memory: expect.any(String),
  });
  expect(container?.resources?.limits).toMatchObject({ memory: expect.any(String) });
  const shutdownMs = Number(
    container?.env?.find((variable) => variable.name === 'SHUTDOWN_TIMEOUT_MS')?.value ??
      DEFAULT_SHUTDOWN_TIMEOUT_MS,
  );
  expect((pod?.terminationGracePeriodSeconds ?? 30) * 1000).toBeGreaterThan(shutdownMs);
  const mounted = pod?.volumes?.find((volume) => volume.configMap)?.configMap?.name;
  expect(mounted).toBe(new ConfigMap(manifest('configmap.yaml') as ConfigMap).metadata?.name);
});

test("the disruption budget and the Service select the Deployment's pods", () => {
  const labels = new Deployment(manifest('deployment.yaml') as Deployment).spec?.template.metadata?.labels;
  const budget = new PodDisruptionBudget(manifest('pod-disruption-budget.yaml') as PodDisruptionBudget);
  expect(budget.spec?.selector?.matchLabels).toEqual(labels);
  const service = new Service(manifest('service.yaml') as Service);
  expect(service.spec?.selector).toEqual(labels);
});

test('the ConfigMap holds the shipped challenge configuration, valid as the service reads it', () => {
  const configMap = new ConfigMap(manifest('configmap.yaml') as ConfigMap);
  const text = configMap.data?.['challenges.json'] ?? '';
  expect(JSON.parse(text)).toEqual(JSON.parse(readFileSync('config/challenges.json', 'utf8')));
  expect(parseChallengeConfig(JSON.parse(text), 'configmap').length).toBeGreaterThan(0);
});
