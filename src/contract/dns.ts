/** Kubernetes' DNS-1123 label: lowercase alphanumerics and '-', alphanumeric at both ends. */
export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Kubernetes' DNS-1123 subdomain: labels joined by '.'. */
export const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * RBAC kinds (Role, ClusterRole, ...) are validated by Kubernetes as path segments and commonly carry
 * ':' (e.g. `system:auth-delegator`). We accept that, but keep to a conservative, path-safe alphabet.
 */
export const RBAC_NAME = /^[A-Za-z0-9]([-A-Za-z0-9._:@]*[A-Za-z0-9])?$/;
