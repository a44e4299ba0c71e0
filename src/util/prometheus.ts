/**
 * Declaring Prometheus metrics (prom-client) on one registry with one name prefix: the few shapes every part's
 * `/metrics` is made of (a counter or histogram the code updates, a gauge or a total read when scraped), so
 * that a part's metrics file lists names and meanings rather than repeating the options of each.
 *
 * Imports nothing of AugServe.js (util/ is a leaf); prom-client is already every metrics file's dependency.
 */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

/** Label values, as prom-client takes them. */
export type Labels<L extends string> = Partial<Record<L, string | number>>;

/** Makes the metrics of one registry; every name is `prefix + name`. */
export class MetricDeclarer {
  readonly #registers: Registry[];
  readonly #prefix: string;

  constructor(registry: Registry, prefix = "") {
    this.#registers = [registry];
    this.#prefix = prefix;
  }

  /** A counter the code increments. */
  counter<L extends string = string>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    return new Counter({ name: this.#prefix + name, help, labelNames, registers: this.#registers });
  }

  /** A histogram the code observes. */
  histogram<L extends string = string>(
    name: string,
    help: string,
    buckets: number[],
    labelNames: readonly L[] = [],
  ): Histogram<L> {
    return new Histogram({
      name: this.#prefix + name,
      help,
      labelNames,
      buckets,
      registers: this.#registers,
    });
  }

  /** A gauge whose values `collect` sets when the registry is scraped (it resets the gauge first if it must). */
  gauge<L extends string = string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    collect: (gauge: Gauge<L>) => void,
  ): Gauge<L> {
    return new Gauge({
      name: this.#prefix + name,
      help,
      labelNames,
      registers: this.#registers,
      collect() {
        collect(this);
      },
    });
  }

  /** A gauge of one value, `read` when scraped, under fixed `labels` (none by default). */
  readGauge<L extends string = never>(
    name: string,
    help: string,
    read: () => number,
    labels?: Labels<L>,
  ): Gauge<L> {
    return this.gauge<L>(name, help, labelNamesOf(labels), (g) => {
      if (labels === undefined) g.set(read());
      else g.set(labels, read());
    });
  }

  /**
   * A counter that mirrors a total kept elsewhere (an engine's counts): `read` when scraped, under fixed
   * `labels` (none by default).
   */
  totalCounter<L extends string = never>(
    name: string,
    help: string,
    read: () => number,
    labels?: Labels<L>,
  ): Counter<L> {
    return new Counter({
      name: this.#prefix + name,
      help,
      labelNames: labelNamesOf(labels),
      registers: this.#registers,
      collect() {
        this.reset();
        if (labels === undefined) this.inc(read());
        else this.inc(labels, read());
      },
    });
  }
}

function labelNamesOf<L extends string>(labels: Labels<L> | undefined): L[] {
  return labels === undefined ? [] : (Object.keys(labels) as L[]);
}
