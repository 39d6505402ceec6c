/** What the supervisor and its workers tell each other over the cluster IPC channel (besides session-relay.ts). */

/** A module as a worker loads it: its unpacked folder and its configuration artifact. */
export interface PlannedModule {
  readonly name: string;
  readonly application: string;
  readonly version: number;
  readonly folder: string;
  /** The module's configuration artifact: the only settings the module reads. */
  readonly artifact: string;
}

/** Everything a worker needs to serve. */
export interface WorkerPlan {
  readonly frontend: string;
  /** 1 for the workers started first, one more with each reload. */
  readonly generation: number;
  readonly host: string;
  readonly port: number;
  /** The server configuration: Service Center's session store and platform database. */
  readonly configPath: string;
  /** Decrypts the artifacts' secrets. */
  readonly privateKeyPath: string;
  readonly pretty: boolean;
  readonly modules: readonly PlannedModule[];
}

export type SupervisorMessage =
  | { readonly type: 'plan'; readonly plan: WorkerPlan }
  | { readonly type: 'drain'; readonly timeoutMs: number };

export type WorkerMessage =
  | { readonly type: 'listening' }
  | { readonly type: 'ready'; readonly port: number }
  | {
      readonly type: 'load-failed';
      readonly module: string | undefined;
      readonly code: string | undefined;
      readonly message: string;
    };
