/**
 * `/_tessera/health`: whether this front-end server takes requests (`ready`, 200)
 * or is stopping (`draining`, 503: a load balancer sends it nothing new), its name,
 * and the modules it serves with their versions and settings revisions.
 */
export const HEALTH_PATH = '/_tessera/health';

export interface HealthReport {
  readonly status: 'ready' | 'draining';
  readonly frontend: string;
  readonly pid: number;
  readonly modules: readonly { readonly name: string; readonly version: number; readonly revision: string }[];
}

export function healthReport(state: {
  readonly state: 'ready' | 'draining';
  readonly frontend: string;
  readonly modules: readonly { readonly name: string; readonly version: number; readonly revision: string }[];
}): HealthReport {
  return {
    status: state.state,
    frontend: state.frontend,
    pid: process.pid,
    modules: state.modules.map(({ name, version, revision }) => ({ name, version, revision })),
  };
}
