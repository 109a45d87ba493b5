export { parseDuration } from '../../plugins/sdk.ts';

export const DURATION_HINT = 'expected a duration such as 500ms, 30s, 5m, 2h or 1d';
