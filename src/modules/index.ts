/**
 * The module layer: a module's package (read, validated, packed, unpacked), its
 * runtime settings and configuration artifact, the session store they name, and
 * the host that serves the modules of a front-end worker with their sessions.
 * See docs/modules.md.
 */

export { sessionCookieName } from '../http/index.ts';
export {
  ARTIFACT_FILE_NAME,
  type ConfigurationArtifact,
  readConfigurationArtifact,
  writeConfigurationArtifact,
} from './configuration-artifact.ts';
export { MODULE_ERROR_CODES, ModuleError, type ModuleErrorCode } from './errors.ts';
export { LOAD_MODULE_DEFAULTS, loadModule, type ModuleContext } from './load-module.ts';
export {
  createModuleHost,
  type HostedModule,
  type HostedRequest,
  type ModuleHost,
  type ModuleHostOptions,
} from './module-host.ts';
export {
  MODULE_PACKAGE_DEFAULTS,
  type ModulePackage,
  type ReadModulePackageOptions,
  readModulePackage,
} from './module-package.ts';
export { applicationKey, RESERVED_MODULE_NAMES } from './names.ts';
export {
  MODULE_SESSION_PROVIDERS,
  type ModuleRuntimeSettings,
  type ModuleSessionProvider,
  type PublicRuntimeSettings,
  publicRuntimeSettings,
  runtimeSettingsFromServerConfiguration,
  type ServerConfigurationSource,
} from './runtime-settings.ts';
export { createSessionStoreForModule, type SessionStoreForModuleOptions } from './store-factory.ts';
export { packageFolder, unpackModulePackage } from './unpack.ts';
