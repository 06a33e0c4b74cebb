import type { Plan } from '../../shared/plan.js';
import { k8sName } from './rayservice.js';
import { describe, type GroupSize } from './workers.js';

export interface ReadmeInput {
  plan: Plan;
  target: 'rayservice' | 'serve-config';
  groups: GroupSize[];
  image: string;
  rayVersion: string;
  models: string[];
  indexes: string[];
  warnings: string[];
  ingress: string;
}

function sampleBody(plan: Plan): string {
  const fields = (plan.nodes[plan.inputNode].config.fields ?? {}) as Record<string, string>;
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

/** README.md of an export directory: what is in it, how to ship models, apply, port-forward and curl. */
export function exportReadme(r: ReadmeInput): string {
  const { plan } = r;
  const svc = k8sName(plan.name);
  const route = plan.routePrefix.replace(/\/+$/, '');
  const body = sampleBody(plan).replace(/'/g, "'\\''");
  const lines: string[] = [];
  lines.push(`# ${plan.name} on Ray Serve

Exported by \`beamline export\` from the Beamline graph **${plan.name}**${plan.graph.description ? `: ${plan.graph.description.replace(/[.!?]+$/, '')}` : ''}.

| file | what |
| --- | --- |
| \`app/beamline_app.py\` | the Ray Serve application: one \`@serve.deployment\` per node, the \`${r.ingress}\` deployment that runs the graph, \`app\` (the \`.bind()\` composition) |
| \`app/beamline_nodes/\` | the node implementations in Python (same models, tokenisation, pooling and index format as Beamline's TypeScript nodes) |
| \`serve-config.yaml\` | the Serve config: replicas or autoscaling, \`max_ongoing_requests\`, \`max_queued_requests\`, \`ray_actor_options\`, health checks, and each node's settings in \`user_config.beamline\` |
| \`requirements.txt\` | Python packages the nodes import |
${r.target === 'rayservice' ? '| `rayservice.yaml` | KubeRay `RayService` (ray.io/v1): the same Serve config in `serveConfigV2`, a head and worker groups sized by the placement planner |\n| `Dockerfile` | the image every pod runs: Ray, the packages, the app, its models and indexes |\n' : ''}
Nodes: ${plan.order.map((id) => `\`${id}\` (${plan.nodes[id].kind})`).join(', ')}.
`);
  if (r.target === 'rayservice') {
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

## Deploy on Kubernetes with KubeRay

\`\`\`sh
# 1. Build and push the image, then put its name in rayservice.yaml (now: ${r.image}).
docker build -t ${r.image} .
docker push ${r.image}

# 2. Install the KubeRay operator once per cluster.
helm repo add kuberay https://ray-project.github.io/kuberay-helm/
helm install kuberay-operator kuberay/kuberay-operator

# 3. Apply and wait until the service is ready.
kubectl apply -f rayservice.yaml
kubectl get rayservice ${svc}        # wait for Ready
kubectl describe rayservice ${svc}   # events, Serve application status

# 4. Reach it.
kubectl port-forward svc/${svc}-serve-svc 8000:8000
curl -s -X POST localhost:8000${route} -H 'content-type: application/json' -d '${body}'

# Ray dashboard (Serve tab: deployments, replicas, logs):
kubectl port-forward svc/${svc}-head-svc 8265:8265   # then open http://localhost:8265
\`\`\`

Ray ${r.rayVersion}. Worker groups, from the placement planner (replicas at start, fewest and most):

| group | pod | pods at start | min | max | replicas at start |
| --- | --- | --- | --- | --- | --- |
${r.groups.map((g) => `| ${g.name} | ${describe(g.shape)} | ${g.initial} | ${g.min} | ${g.max} | ${Object.entries(g.replicas).map(([n, c]) => `${n} x${c}`).join(', ')} |`).join('\n')}

Change pod shapes with \`beamline export --worker-cpus/--worker-memory-mb/--gpu-worker-cpus/--gpu-worker-memory-mb/--gpus-per-worker/--gpu-memory-mb\` and export again.
`);
  } else {
    lines.push(`## Run on an existing Ray cluster

\`\`\`sh
pip install "ray[serve]==${r.rayVersion}" -r requirements.txt
# Models go under $BEAMLINE_MODELS_DIR (builtin:<name> is builtin/<name>), indexes under $BEAMLINE_DATA_DIR/indexes.
export BEAMLINE_MODELS_DIR=$PWD/models BEAMLINE_DATA_DIR=$PWD/data
cd app && serve run ../serve-config.yaml     # local: a one-machine Ray
curl -s -X POST localhost:8000${route} -H 'content-type: application/json' -d '${body}'
\`\`\`

For \`serve deploy\` to a remote cluster, the app must be importable there: zip \`app/\`, host it, and set
\`runtime_env.working_dir\` to its URL (Ray accepts only remote URIs there), or use \`--target rayservice\`
for an image. The Serve config's \`runtime_env.pip\` installs the node packages on the cluster, and its
env_vars set the model and data folders (edit them to where the files are on the cluster).
`);
  }
  lines.push(`## Requests and errors

POST a JSON object with the input node's fields to \`${route}\`. The ingress starts each node as soon as
the nodes it reads from are done, as Beamline does: parallel branches run together, and a fast branch's
next nodes do not wait for a slow branch. The response is the output node's value (an object keyed by
output node when the graph has several). Errors are \`{"error", "node", "path"}\` with 400 (bad input),
503 (a node's queue is full or its replica died) or 504 (a node's \`timeoutMs\`).

## How this export was checked, and what it was not

Beamline's tests validate \`rayservice.yaml\` against KubeRay's RayService CRD schema and the Serve
config against Ray Serve's config schema, compile every Python file, and run the composition in
\`beamline_app.py\` under a small stand-in for the parts of \`ray.serve\` it uses (deployment, bind,
handles, batch), checking that each node starts once its own inputs are ready and not before.
**The stand-in is not Ray**: it runs every deployment in one Python process with one replica each, and
stubs the model libraries (onnxruntime, tokenizers), so ONNX nodes were checked only as far as their imports.
A run on a real cluster adds what the stand-in cannot: replicas in separate
actor processes on several pods, real scheduling of \`num_cpus\`/\`num_gpus\`/\`memory\`, autoscaling,
queue limits and back-pressure, health checks and restarts, the HTTP proxy, real model inference on
CPU or GPU, and the KubeRay operator's rollout. Try it on a kind/minikube cluster before production.
`);
  if (r.warnings.length) lines.push(`## Differences from Beamline\n\n${r.warnings.map((w) => `- ${w}`).join('\n')}\n`);
  return lines.join('\n');
}
