// The history's diff lives in contracts so that the analytics dashboard shows the same entries
// as `graylane history`; this module keeps the config service's imports unchanged.
export { diffJson, rolloutHistory, type TableVersion } from '@graylane/contracts';
