/** Checks of the values `beamline export` takes, shared by the CLI (a usage error, exit 2) and exportGraphs. */

export const DEFAULT_RAY_VERSION = '2.52.0';
/** Ray reads max_ongoing_requests, target_ongoing_requests and max_queued_requests from 2.10. */
const MIN_RAY = [2, 10];
/** A container image reference: [registry[:port]/]path[:tag][@digest], the path in lower case. */
const IMAGE = /^(?:[a-zA-Z0-9.-]+(?::\d+)?\/)?[a-z0-9]+(?:[._-]+[a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-]+[a-z0-9]+)*)*(?::\w[\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;

/** Why a Ray version cannot be the image tag and rayVersion, or undefined. */
export function checkRayVersion(v: string): string | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)(?:rc\d+)?$/.exec(v);
  if (!m) return `Ray version "${v}" is not a release such as ${DEFAULT_RAY_VERSION} (the rayproject/ray image tag and the RayService's rayVersion)`;
  const [major, minor] = [Number(m[1]), Number(m[2])];
  if (major < MIN_RAY[0] || (major === MIN_RAY[0] && minor < MIN_RAY[1])) {
    return `Ray ${v} is older than ${MIN_RAY.join('.')}, the first to read the Serve config's max_ongoing_requests and target_ongoing_requests`;
  }
  return undefined;
}

/** Why a string is not a container image reference, or undefined. */
export function checkImage(v: string): string | undefined {
  if (v.length > 255 || !IMAGE.test(v)) return `image "${v}" is not a container image reference such as registry.example.com/team/app:1.0 (lower-case path, optional :tag or @sha256:digest)`;
  return undefined;
}
