/** Server-side rendering of a Vega-Lite spec to an SVG string (no browser, no canvas, no network). */
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";

/** A loader that refuses every URL: the report's specs carry their data inline, and the report works offline. */
const refuse = (uri: string): Promise<never> =>
  Promise.reject(new Error(`the report loads nothing over the network or disk; refused ${uri}`));
const offlineLoader: vega.Loader = { load: refuse, sanitize: refuse, http: refuse, file: refuse };

/**
 * Compiles a Vega-Lite spec and renders it headlessly to SVG markup. Vega escapes every text it draws
 * (labels, legends, ARIA descriptions), so data from the results file is safe to inline.
 */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: "none", loader: offlineLoader });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
