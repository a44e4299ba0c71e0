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
    buckets: readonly number[],
    labelNames: readonly L[] = [],
  ): Histogram<L> {
    return new Histogram({
      name: this.#prefix + name,
      help,
      labelNames,
      buckets: [...buckets],
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

  /**
   * The counters and histograms of `table`, in its order, under the table's keys: a row with buckets is a
   * histogram, one without a counter. A part's metrics class assigns the result to its fields.
   */
  metrics<const T extends Readonly<Record<string, MetricRow>>>(table: T): Declared<T> {
    const declared: Record<string, Counter<string> | Histogram<string>> = {};
    for (const [key, [name, help, labelNames = [], buckets]] of Object.entries(table)) {
      declared[key] =
        buckets === undefined
          ? this.counter(name, help, labelNames)
          : this.histogram(name, help, buckets, labelNames);
    }
    return declared as Declared<T>;
  }

  /**
   * One gauge per row of `table`, in its order; when the registry is scraped, `fill` sets each gauge's values
   * through the row's `read` (over whatever sources the gauges describe: replicas, members, schedulers).
   */
  gauges<S, L extends string>(
    table: readonly GaugeRow<S>[],
    labelNames: readonly L[],
    fill: (gauge: Gauge<L>, read: (source: S) => number) => void,
  ): void {
    for (const [name, help, read] of table) this.gauge(name, help, labelNames, (g) => fill(g, read));
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
   * Every metric of `table` (name to row), in its order, each reading a fresh `snapshot()` when scraped,
   * under fixed `labels` (none by default). A name ending in `_total` is, by Prometheus' naming rule, a
   * counter: here one that mirrors a total kept elsewhere (an engine's counts), reset and then incremented by
   * the total at each scrape. Any other name is a gauge.
   */
  readTable<S, L extends string = never>(
    table: Readonly<Record<string, ReadRow<S>>>,
    snapshot: () => S,
    labels?: Labels<L>,
  ): void {
    for (const [name, [help, pick]] of Object.entries(table)) {
      const read = () => pick(snapshot());
      if (!name.endsWith("_total")) {
        this.readGauge(name, help, read, labels);
        continue;
      }
      new Counter({
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
}

/**
 * A row of {@link MetricDeclarer.metrics}: a metric's name, help text, label names (none by default) and, for
 * a histogram, its buckets.
 */
export type MetricRow = readonly [
  name: string,
  help: string,
  labelNames?: readonly string[],
  buckets?: readonly number[],
];

/** What {@link MetricDeclarer.metrics} makes of a table: a counter or a histogram per key. */
export type Declared<T extends Readonly<Record<string, MetricRow>>> = {
  readonly [K in keyof T]: T[K] extends readonly [
    string,
    string,
    readonly (infer L extends string)[],
    readonly number[],
  ]
    ? Histogram<L>
    : T[K] extends readonly [string, string, readonly (infer L extends string)[]]
      ? Counter<L>
      : Counter<string>;
};

/** A row of {@link MetricDeclarer.gauges}: a gauge's name, help text and what it reads from one source. */
export type GaugeRow<S> = readonly [name: string, help: string, read: (source: S) => number];

/** A row of {@link MetricDeclarer.readTable}, keyed by the metric's name: its help text and what it reads. */
export type ReadRow<S> = readonly [help: string, pick: (snapshot: S) => number];

function labelNamesOf<L extends string>(labels: Labels<L> | undefined): L[] {
  return labels === undefined ? [] : (Object.keys(labels) as L[]);
}
