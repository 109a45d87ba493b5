/** Codes delivery throws (`destination_refused` also for the AI API's `webhook_url`). */
export const DELIVERY_ERROR_CODES = [
  'destination_refused',
  'endpoint_disabled',
  'endpoint_paused',
  'endpoint_uid_taken',
  'delivery_busy',
] as const;

export type DeliveryErrorCode = (typeof DELIVERY_ERROR_CODES)[number];
