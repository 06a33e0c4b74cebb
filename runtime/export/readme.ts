import type { Plan } from '../../shared/plan.js';
import type { ServeApplication } from './serve-config.js';
import { describe, type GroupSize } from './workers.js';

export interface ReadmeInput {
  plans: Plan[];
  /** Graphs of imported Ray deployments (their Python is not Beamline's). */
  foreign: string[];
  applications: ServeApplication[];
  target: 'rayservice' | 'serve-config';
  groups: GroupSize[];
  image: string;
  rayVersion: string;
  models: string[];
  indexes: string[];
  warnings: string[];
  gpu: boolean;
  nodeps: string[];
  onnxruntime?: string;
  rayServiceName: string;
  upgrade?: string;
}

function sampleBody(plan: Plan): string {
  const input = plan.nodes[plan.inputNode];
  const fields = (input.config.fields ?? {}) as Record<string, string>;
  const sample: Record<string, unknown> = {};
  const byType: Record<string, unknown> = {
    text: 'What is Beamline?',
    label: 'POSITIVE',
    texts: ['first text', 'second text'],
    vector: [0.1, 0.2],
    vectors: [[0.1, 0.2]],
    documents: [{ text: 'Beamline serves inference graphs.', source: 'doc.md' }],
    entities: [],
    image: '<base64 PNG or JPEG>',
  };
  for (const [k, t] of Object.entries(fields)) sample[k] = byType[t] ?? {};
  return JSON.stringify(sample);
}

const shellQuote = (s: string) => s.replace(/'/g, "'\\''");

/** README.md of an export directory: what is in it, how to ship models, apply, port-forward, curl and watch it. */
export function exportReadme(r: ReadmeInput): string {
  const ours = r.plans.filter((p) => !r.foreign.includes(p.name));
  const first = r.plans[0];
  const app0 = r.applications[0];
  const route = typeof app0.route_prefix === 'string' ? app0.route_prefix.replace(/\/+$/, '') : '/';
  const body = shellQuote(sampleBody(first));
  const svc = r.rayServiceName;
  const lines: string[] = [];
  const names = r.plans.map((p) => `**${p.name}**`).join(', ');
  lines.push(`# ${r.plans.map((p) => p.name).join(', ')} on Ray Serve

Exported by \`beamline export\` from the Beamline graph${r.plans.length > 1 ? 's' : ''} ${names}${r.plans.length === 1 && first.graph.description ? `: ${first.graph.description.replace(/[.!?]+$/, '')}` : ''}.
Each graph is one Serve application: ${r.applications.map((a) => `\`${a.name}\` at \`${a.route_prefix ?? '(no HTTP route)'}\``).join(', ')}.

| file | what |
| --- | --- |
${ours.length ? `| \`app/${ours.length > 1 ? 'beamline_app_<graph>' : 'beamline_app'}.py\` | the Ray Serve application${ours.length > 1 ? 's' : ''}: one \`@serve.deployment\` per node, the Ingress deployment that runs the graph, \`app\` (the \`.bind()\` composition) |\n| \`app/beamline_nodes/\` | the node implementations in Python (same models, tokenisation, pooling and index format as Beamline's TypeScript nodes) |\n` : ''}| \`serve-config.yaml\` | the Serve config: replicas or autoscaling, \`max_ongoing_requests\`, \`max_queued_requests\`, \`ray_actor_options\`, health checks${ours.length ? ", and each node's settings in `user_config.beamline`" : ''} |
${ours.length ? `| \`requirements.txt\` | Python packages the nodes import, with exactly one ONNX Runtime (${r.onnxruntime ?? 'none'}) |\n` : ''}${r.nodeps.length ? '| `requirements-nodeps.txt` | packages installed with `pip install --no-deps`: their declared dependencies would bring a second ONNX Runtime or a GUI OpenCV; what they need is in requirements.txt |\n' : ''}${r.target === 'rayservice' ? `| \`rayservice.yaml\` | KubeRay \`RayService\` (ray.io/v1): the same Serve config in \`serveConfigV2\`, a head and worker groups sized by the placement planner |\n${ours.length ? '| `Dockerfile` | the image every pod runs: Ray, the packages, the app, its models and indexes |\n' : ''}| \`monitoring/podmonitor.yaml\` | Prometheus Operator PodMonitor for Ray's metrics port on every Ray pod |\n` : ''}| \`monitoring/grafana-dashboard.json\` | Grafana dashboard of the deployments: requests/s, latency p50/p90/p99, replicas, queue |

Nodes: ${r.plans.flatMap((p) => p.order.map((id) => `\`${r.plans.length > 1 ? `${p.name}/` : ''}${id}\` (${p.nodes[id].kind})`)).join(', ')}.
`);
  if (r.target === 'rayservice') {
    if (ours.length) {
      lines.push(`## How the models get to the pods: a container image

The models and retriever indexes are copied into the image (\`Dockerfile\`), not mounted from a volume.
They are small enough to travel with the code, every pod (head, CPU and GPU workers, and pods the
autoscaler adds later) starts with the same files without a ReadWriteMany volume, and a new model is a
new image tag, which RayService rolls out as a zero-downtime upgrade. Ray Serve also refuses a local
\`working_dir\` in a Serve config, so the code has to be in the image anyway. For models of many GB,
mount a PersistentVolumeClaim at \`/home/ray/models\` on every pod instead and drop the \`COPY models/\` line.

Before building, these must be in this directory (\`beamline export\` copies the ones it finds):
${r.models.length ? r.models.map((m) => `- model \`${m}\` -> \`models/${m.startsWith('builtin:') ? `builtin/${m.slice(8)}` : m}/\``).join('\n') : '- no models'}
${r.indexes.map((i) => `- retriever index \`${i}\` -> \`data/indexes/${i}/\` (build it with \`beamline ingest\` first)`).join('\n')}
`);
    }
    lines.push(`## Deploy on Kubernetes with KubeRay

\`\`\`sh
${ours.length ? `# 1. Build and push the image, then put its name in rayservice.yaml (now: ${r.image}).
docker build -t ${r.image} .
docker push ${r.image}
` : `# 1. The image (${r.image}) and the applications' code are yours, as the imported RayService had them.
`}
# 2. Install the KubeRay operator once per cluster.
helm repo add kuberay https://ray-project.github.io/kuberay-helm/
helm install kuberay-operator kuberay/kuberay-operator

# 3. Apply and wait until the service is ready.
kubectl apply -f rayservice.yaml
kubectl get rayservice ${svc}        # wait for Ready
kubectl describe rayservice ${svc}   # events, Serve application status

# 4. Reach it.
kubectl port-forward svc/${svc}-serve-svc 8000:8000
curl -s -X POST localhost:8000${route === '/' ? '/' : route} -H 'content-type: application/json' -d '${body}'

# Ray dashboard (Serve tab: deployments, replicas, logs):
kubectl port-forward svc/${svc}-head-svc 8265:8265   # then open http://localhost:8265
\`\`\`

Ray ${r.rayVersion}. Worker groups, from the placement planner (replicas at start, fewest and most):

| group | pod | pods at start | min | max | replicas at start |
| --- | --- | --- | --- | --- | --- |
${r.groups.map((g) => `| ${g.name} | ${describe(g.shape)} | ${g.initial} | ${g.min} | ${g.max} | ${Object.entries(g.replicas).map(([n, c]) => `${n} x${c}`).join(', ')} |`).join('\n')}

Change pod shapes with \`beamline export --worker-cpus/--worker-memory-mb/--gpu-worker-cpus/--gpu-worker-memory-mb/--gpus-per-worker/--gpu-memory-mb\` and export again.

### Upgrades

${r.upgrade ? `\`spec.upgradeStrategy.type\` is \`${r.upgrade}\`` : 'No `spec.upgradeStrategy` is set, so KubeRay uses its default, `NewCluster`'}: a change to the Ray cluster
(image, Ray version, pod templates) ${r.upgrade === 'None' ? 'is not rolled out: delete and re-create the RayService' : r.upgrade === 'NewClusterWithIncrementalUpgrade' ? 'starts a new cluster and moves traffic to it step by step through the Gateway API' : 'starts a new cluster and switches traffic to it once it is ready (zero downtime, twice the pods for a while)'};
a change to \`serveConfigV2\` alone is applied in place. Choose with \`beamline export --upgrade-strategy NewCluster|NewClusterWithIncrementalUpgrade|None\`
(the incremental one needs \`--gateway-class\` and Ray's autoscaler, which it turns on).

## Watch it: Prometheus and Grafana

KubeRay gives every Ray container a \`metrics\` port (8080) where Ray exports Serve's metrics. With the
Prometheus Operator (kube-prometheus-stack), apply the PodMonitor in the RayService's namespace; its
\`release: prometheus\` label must match your Prometheus's \`podMonitorSelector\`:

\`\`\`sh
kubectl apply -f monitoring/podmonitor.yaml
\`\`\`

Then import \`monitoring/grafana-dashboard.json\` in Grafana (Dashboards > New > Import) and pick the
Prometheus data source: per deployment, requests/s and errors, latency p50/p90/p99, healthy replicas
(autoscaling shows there) and queued and running requests.
`);
    if (r.gpu) {
      lines.push(`## GPUs

The image is \`rayproject/ray:${r.rayVersion}-py311-gpu\`, which carries CUDA 12.1 with cuDNN 8. ONNX Runtime's
GPU build on PyPI needs CUDA 12 with cuDNN 9 since 1.19, so \`requirements.txt\` installs \`${r.onnxruntime}\`:
its \`cuda\` and \`cudnn\` extras bring NVIDIA's CUDA 12 and cuDNN 9 libraries as Python wheels, and the nodes
load them with \`onnxruntime.preload_dlls()\` before opening a CUDA session. The image holds exactly one ONNX
Runtime (the Dockerfile checks it: \`onnxruntime\` and \`onnxruntime-gpu\` share one import name).

A replica that reserves a GPU but cannot open ONNX Runtime's CUDA provider fails its start with an error
naming its node and the loader's message (a missing \`libcudnn.so.9\`, say); Ray shows it in
\`kubectl describe rayservice\` and the dashboard. To run such a replica on the CPU instead, set
\`BEAMLINE_ALLOW_CPU_FALLBACK=1\` in the application's \`runtime_env.env_vars\` (or the pod's \`env\`).
`);
    }
  } else if (!ours.length) {
    lines.push(`## Deploy it

\`\`\`sh
serve deploy serve-config.yaml   # to the Ray cluster your code already runs on (RAY_DASHBOARD_ADDRESS)
\`\`\`

The applications' code is yours: it reaches the cluster as it did before the import (its image, or the
\`runtime_env\` kept in the config).
`);
  } else {
    lines.push(`## Run on a Ray cluster, or locally with serve run

\`\`\`sh
pip install "ray[serve]==${r.rayVersion}" -r requirements.txt
${r.nodeps.length ? 'pip install --no-deps -r requirements-nodeps.txt\n' : ''}# Models go under $BEAMLINE_MODELS_DIR (builtin:<name> is builtin/<name>), indexes under $BEAMLINE_DATA_DIR/indexes.
export BEAMLINE_MODELS_DIR=$PWD/models BEAMLINE_DATA_DIR=$PWD/data
cd app && serve run ../serve-config.yaml     # local: a one-machine Ray
curl -s -X POST localhost:8000${route === '/' ? '/' : route} -H 'content-type: application/json' -d '${body}'
\`\`\`

The Serve config sets no \`runtime_env.env_vars\` for the model and data folders: Ray's \`env_vars\` would
override the variables exported above, so the replicas read the folders from the environment \`serve run\`
starts in. For \`serve deploy\` to a remote cluster, the app must be importable there: zip \`app/\`, host it,
and set \`runtime_env.working_dir\` to its URL (Ray accepts only remote URIs there), or use \`--target rayservice\`
for an image. The Serve config's \`runtime_env.pip\` installs the node packages on the cluster${r.nodeps.length ? ` except ${r.nodeps.join(', ')}, which must be installed with \`pip install --no-deps\` (the cluster's image)` : ''};
set \`BEAMLINE_MODELS_DIR\` and \`BEAMLINE_DATA_DIR\` in its \`env_vars\` to where the files are there.
`);
  }
  if (ours.length) lines.push(`## Requests and errors

POST a JSON object with the input node's fields to \`${route}\`. The ingress starts each node as soon as
the nodes it reads from are done, as Beamline does: parallel branches run together, and a fast branch's
next nodes do not wait for a slow branch. The response is the output node's value (an object keyed by
output node when the graph has several). Errors are \`{"error", "node", "path"}\` with 400 (bad input),
503 (a node's queue is full or its replica died) or 504 (a node's \`timeoutMs\`).

## How this export was checked, and what it was not

Beamline's tests validate \`rayservice.yaml\` against KubeRay's RayService CRD schema and the Serve
config against Ray Serve's config schema, compile every Python file, and run the composition in
the app under a small stand-in for the parts of \`ray.serve\` it uses (deployment, bind,
handles, batch), checking that each node starts once its own inputs are ready and not before.
**The stand-in is not Ray**: it runs every deployment in one Python process with one replica each, and
stubs the model libraries (onnxruntime, tokenizers), so ONNX nodes were checked only as far as their imports.
A run on a real cluster adds what the stand-in cannot: replicas in separate
actor processes on several pods, real scheduling of \`num_cpus\`/\`num_gpus\`/\`memory\`, autoscaling,
queue limits and back-pressure, health checks and restarts, the HTTP proxy, real model inference on
CPU or GPU, and the KubeRay operator's rollout. Try it on a kind/minikube cluster before production.
`);
  else lines.push(`## How this export was checked

Beamline's tests check its exports against ${r.target === 'rayservice' ? "KubeRay's RayService CRD schema and " : ''}Ray Serve's config schema.
The imported applications' settings are written back as they were read, with the ones
edited on the canvas over them; their code was not run.
`);
  if (r.warnings.length) lines.push(`## Differences from Beamline, and notes\n\n${r.warnings.map((w) => `- ${w}`).join('\n')}\n`);
  return lines.join('\n');
}
