import { type Command, InvalidArgumentError } from 'commander';
import { ALLOW_SECRET_ENV, SECRET_BASE_URLS_ENV, type SecretPolicy, SecretPolicyError, secretPolicy } from '../security/secret-policy.js';

export interface SecretOptions {
  allowSecretEnv?: string[];
  secretBaseUrl?: string[];
}

/** A repeatable flag whose values are checked as they are read, so a bad one is a usage error (exit 2). */
function collect(check: (v: string) => void) {
  return (value: string, previous: string[] = []): string[] => {
    try {
      check(value);
    } catch (e) {
      throw new InvalidArgumentError((e as Error).message);
    }
    return [...previous, value];
  };
}

/** --allow-secret-env and --secret-base-url, for serve and validate alike (validate takes the operator's view). */
export function secretOptions(cmd: Command): Command {
  return cmd
    .option(
      '--allow-secret-env <names>',
      `environment variables graphs may name as secrets (apiKeyEnv) besides BEAMLINE_SECRET_*; repeatable or comma-separated (default: $${ALLOW_SECRET_ENV})`,
      collect((v) => secretPolicy({ allowSecretEnv: [v] })),
    )
    .option(
      '--secret-base-url <url>',
      `the only base URLs secrets may be sent to, by origin and path prefix; repeatable (default: $${SECRET_BASE_URLS_ENV}, else any)`,
      collect((v) => secretPolicy({ secretBaseUrls: [v] })),
    );
}

/** The policy from the flags, else the environment; a SecretPolicyError (bad env value) for the caller to report. */
export function policyFromOptions(opts: SecretOptions): SecretPolicy | SecretPolicyError {
  try {
    return secretPolicy({ ...(opts.allowSecretEnv ? { allowSecretEnv: opts.allowSecretEnv } : {}), ...(opts.secretBaseUrl ? { secretBaseUrls: opts.secretBaseUrl } : {}) });
  } catch (e) {
    if (e instanceof SecretPolicyError) return e;
    throw e;
  }
}
