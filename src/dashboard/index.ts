/** The live dashboard (the `dashboard` server option). */
export { DASHBOARD_GROUP } from './dashboard';
export type { DashboardOptions } from './dashboard';
export type { LayerSnapshot, ProcessSnapshot } from './snapshot';
