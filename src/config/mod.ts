/**
 * Configuration: the zod schema, merging an override file over `config/defaults.ts`, and
 * per-service policies.
 * @module
 */
export {
  type AgentConfig,
  callerNumbers,
  type ChannelConfig,
  type FallbackLink,
  type ServiceName,
} from "./schema.ts";
export {
  type ChainProvider,
  chainProviders,
  chainsOf,
  deepMerge,
  parseConfig,
  readConfigFile,
  servicePolicies,
  type ServicePolicyConfig,
} from "./load_config.ts";
export { SecretReader } from "./secrets.ts";
export {
  isPlayable,
  type TtsAudioOutput,
  ttsAudioOutputs,
  type VoicePlayback,
  voicePlayback,
} from "./tts_audio.ts";
