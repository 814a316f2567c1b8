/** Flag names are derived from slice ids, so one grep for a slice finds its flags too. */
export const KILL_SWITCH = 'gw.kill-switch';
export const serveFlag = (slice: string): string => `gw.${slice}.serve`;
export const shadowFlag = (slice: string): string => `gw.${slice}.shadow`;
