/**
 * What watching an exported app needs: a Prometheus Operator PodMonitor for the
 * metrics port KubeRay adds to every Ray container (`metrics`, 8080, in KubeRay's
 * ray-operator/controllers/ray/common/pod.go), and a Grafana dashboard of the
 * graph's deployments from Ray Serve's own metrics (ray_serve_deployment_* and
 * ray_serve_replica_*, as KubeRay's config/grafana dashboards query them).
 */

export interface DashboardApp {
  /** The Serve application name (the `application` label of Ray's metrics). */
  application: string;
  deployments: string[];
}

/** PodMonitor for every Ray pod of the namespace it is applied to (KubeRay labels them ray.io/is-ray-node: "yes"). */
export function podMonitor(name: string): Record<string, unknown> {
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PodMonitor',
    metadata: {
      name: `${name}-ray`,
      // kube-prometheus-stack selects monitors by its Helm release label; change it to yours.
      labels: { release: 'prometheus' },
    },
    spec: {
      jobLabel: 'ray',
      selector: { matchLabels: { 'ray.io/is-ray-node': 'yes' } },
      podMetricsEndpoints: [
        {
          port: 'metrics',
          // Ray's dashboards filter by cluster with this label.
          relabelings: [{ action: 'replace', sourceLabels: ['__meta_kubernetes_pod_label_ray_io_cluster'], targetLabel: 'ray_io_cluster' }],
        },
      ],
    },
  };
}

/** Grafana's own variable syntax, not a template literal. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: a Grafana dashboard variable
const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };

const regex = (values: string[]) => values.map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\\\$&')).join('|');

interface Panel {
  title: string;
  description: string;
  unit: string;
  exprs: { expr: string; legend: string }[];
}

/** A Grafana dashboard (JSON model, schemaVersion 39) with one row of panels per application. */
export function grafanaDashboard(title: string, apps: DashboardApp[]): Record<string, unknown> {
  const panels: Record<string, unknown>[] = [];
  let id = 1;
  let y = 0;
  for (const app of apps) {
    const sel = `application="${app.application}",deployment=~"${regex(app.deployments)}"`;
    const latency = (q: number) => ({
      expr: `histogram_quantile(${q}, sum(rate(ray_serve_deployment_processing_latency_ms_bucket{${sel}}[5m])) by (deployment, le))`,
      legend: `{{deployment}} p${Math.round(q * 100)}`,
    });
    const rows: Panel[] = [
      {
        title: 'Requests per second',
        description: 'Requests each deployment finished per second (ray_serve_deployment_request_counter), and errors.',
        unit: 'reqps',
        exprs: [
          { expr: `sum(rate(ray_serve_deployment_request_counter_total{${sel}}[5m])) by (deployment)`, legend: '{{deployment}}' },
          { expr: `sum(rate(ray_serve_deployment_error_counter_total{${sel}}[5m])) by (deployment)`, legend: '{{deployment}} errors' },
        ],
      },
      { title: 'Latency (p50, p90, p99)', description: 'Time a replica spent on a request (ray_serve_deployment_processing_latency_ms).', unit: 'ms', exprs: [latency(0.5), latency(0.9), latency(0.99)] },
      {
        title: 'Replicas',
        description: 'Healthy replicas per deployment (ray_serve_deployment_replica_healthy): autoscaling shows here.',
        unit: 'short',
        exprs: [{ expr: `sum(ray_serve_deployment_replica_healthy{${sel}}) by (deployment)`, legend: '{{deployment}}' }],
      },
      {
        title: 'Queue and running requests',
        description: 'Requests waiting for a replica (ray_serve_deployment_queued_queries) and being processed (ray_serve_replica_processing_queries).',
        unit: 'short',
        exprs: [
          { expr: `sum(ray_serve_deployment_queued_queries{${sel}}) by (deployment)`, legend: '{{deployment}} queued' },
          { expr: `sum(ray_serve_replica_processing_queries{${sel}}) by (deployment)`, legend: '{{deployment}} running' },
        ],
      },
    ];
    panels.push({ id: id++, type: 'row', title: `${app.application}: ${app.deployments.join(', ')}`, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y: y++ }, panels: [] });
    rows.forEach((p, i) => {
      panels.push({
        id: id++,
        type: 'timeseries',
        title: p.title,
        description: p.description,
        datasource: DATASOURCE,
        fieldConfig: { defaults: { unit: p.unit }, overrides: [] },
        options: { legend: { displayMode: 'list', placement: 'bottom', showLegend: true }, tooltip: { mode: 'multi', sort: 'desc' } },
        gridPos: { h: 8, w: 12, x: (i % 2) * 12, y: y + Math.floor(i / 2) * 8 },
        targets: p.exprs.map((e, j) => ({ refId: String.fromCharCode(65 + j), expr: e.expr, legendFormat: e.legend, datasource: DATASOURCE })),
      });
    });
    y += 16;
  }
  return {
    title,
    uid: `beamline-${title.toLowerCase().replace(/[^a-z0-9-]+/g, '-')}`.slice(0, 40),
    tags: ['ray', 'serve', 'beamline'],
    timezone: 'browser',
    schemaVersion: 39,
    version: 1,
    refresh: '30s',
    time: { from: 'now-1h', to: 'now' },
    templating: { list: [{ name: 'datasource', label: 'Prometheus', type: 'datasource', query: 'prometheus', hide: 0 }] },
    panels,
  };
}
