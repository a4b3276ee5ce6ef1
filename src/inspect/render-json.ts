import type { InspectReport } from './report.ts';

/** The report as one JSON document. */
export function renderJson(r: InspectReport): string {
  return `${JSON.stringify(r, null, 2)}\n`;
}
