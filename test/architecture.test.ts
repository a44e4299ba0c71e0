/**
 * The house rules of docs/architecture.md, read from the code itself with the TypeScript parser (no module is
 * run): which part may import which, no import cycle that exists at run time, no function over 120 lines and no
 * folder holding more than a quarter of `src/`. A change that breaks a rule fails here with the file and line,
 * so the layout cannot drift from the document unnoticed.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const SRC = resolve(import.meta.dirname, "../src");

/**
 * What each part may import (type-only imports count too: they are dependencies of the source). Leaves first.
 * docs/architecture.md draws this table; keep the two in step.
 */
const MAY_IMPORT: Readonly<Record<string, readonly string[]>> = {
  util: [],
  wire: ["util"],
  metrics: ["util"],
  scheduler: ["util", "metrics"],
  script: ["util", "wire"],
  predict: ["util", "scheduler"],
  accounting: ["util", "scheduler"],
  backend: ["util", "wire", "scheduler", "metrics"],
  workload: ["util", "metrics", "scheduler", "predict", "script"],
  sim: ["util", "wire", "script"],
  engine: ["util", "wire", "script"],
  report: ["util", "metrics"],
  fleet: ["util", "metrics", "scheduler"],
  langchain: ["util", "wire", "metrics", "scheduler", "predict", "accounting", "backend", "fleet"],
  gateway: ["util", "wire", "metrics", "scheduler", "predict", "accounting", "backend", "fleet"],
  ab: [
    "util",
    "wire",
    "metrics",
    "scheduler",
    "script",
    "predict",
    "accounting",
    "backend",
    "workload",
    "sim",
    "engine",
    "report",
    "fleet",
    "langchain",
    "gateway",
  ],
};
/** The outer ring: the benchmarks, the command line and the package root may import every part; nothing imports them. */
const OUTER = new Set(["bench", "cli", "(root)"]);

const MAX_FUNCTION_LINES = 120;
const MAX_FOLDER_SHARE = 0.25;

interface Source {
  readonly path: string;
  readonly part: string;
  readonly file: ts.SourceFile;
  readonly lines: number;
}

interface ImportEdge {
  readonly from: Source;
  readonly to: string;
  readonly line: number;
  /** Erased at compile time (`import type`, or every name `type`): a dependency, but not a run-time edge. */
  readonly typeOnly: boolean;
}

function listSources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return listSources(path);
    return path.endsWith(".ts") ? [path] : [];
  });
}

function partOf(path: string): string {
  const rel = relative(SRC, path);
  return rel.includes("/") ? (rel.split("/")[0] as string) : "(root)";
}

const sources: Source[] = listSources(SRC).map((path) => {
  const text = readFileSync(path, "utf8");
  return {
    path,
    part: partOf(path),
    file: ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true),
    lines: text.split("\n").length,
  };
});

function isTypeOnly(node: ts.ImportDeclaration | ts.ExportDeclaration): boolean {
  if (ts.isImportDeclaration(node)) {
    const clause = node.importClause;
    if (clause === undefined) return false;
    if (clause.isTypeOnly) return true;
    const bindings = clause.namedBindings;
    return (
      clause.name === undefined &&
      bindings !== undefined &&
      ts.isNamedImports(bindings) &&
      bindings.elements.length > 0 &&
      bindings.elements.every((element) => element.isTypeOnly)
    );
  }
  if (node.isTypeOnly) return true;
  const clause = node.exportClause;
  return (
    clause !== undefined &&
    ts.isNamedExports(clause) &&
    clause.elements.length > 0 &&
    clause.elements.every((element) => element.isTypeOnly)
  );
}

/** Static imports and re-exports, and dynamic `import("./x.js")` with a literal path (a run-time edge too). */
function importsOf(source: Source): ImportEdge[] {
  const edges: ImportEdge[] = [];
  const add = (specifier: string, node: ts.Node, typeOnly: boolean): void => {
    if (!specifier.startsWith(".")) return;
    const to = resolve(dirname(source.path), specifier.replace(/\.js$/, ".ts"));
    const line = source.file.getLineAndCharacterOfPosition(node.getStart()).line + 1;
    edges.push({ from: source, to, line, typeOnly });
  };
  const visit = (node: ts.Node): void => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier !== undefined
    ) {
      if (ts.isStringLiteral(node.moduleSpecifier)) add(node.moduleSpecifier.text, node, isTypeOnly(node));
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [argument] = node.arguments;
      if (argument !== undefined && ts.isStringLiteral(argument)) add(argument.text, node, false);
    } else if (ts.isImportTypeNode(node)) {
      const argument = node.argument;
      if (ts.isLiteralTypeNode(argument) && ts.isStringLiteral(argument.literal))
        add(argument.literal.text, node, true);
    }
    ts.forEachChild(node, visit);
  };
  visit(source.file);
  return edges;
}

/** The names a module exports, read from its text: declarations, `export { a as b }` and `export * from`. */
function exportedNames(path: string, seen = new Set<string>()): Set<string> {
  const names = new Set<string>();
  if (seen.has(path)) return names;
  seen.add(path);
  const source = sources.find((candidate) => candidate.path === path);
  if (source === undefined) return names;
  for (const statement of source.file.statements) {
    if (ts.isExportDeclaration(statement)) {
      const clause = statement.exportClause;
      const specifier = statement.moduleSpecifier;
      if (clause !== undefined && ts.isNamedExports(clause))
        for (const element of clause.elements) names.add(element.name.text);
      else if (clause === undefined && specifier !== undefined && ts.isStringLiteral(specifier)) {
        const target = resolve(dirname(path), specifier.text.replace(/\.js$/, ".ts"));
        for (const name of exportedNames(target, seen)) names.add(name);
      }
      continue;
    }
    const modifiers = ts.canHaveModifiers(statement) ? ts.getModifiers(statement) : undefined;
    if (!modifiers?.some((modifier) => modifier.kind === ts.SyntaxKind.ExportKeyword)) continue;
    if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations)
        if (ts.isIdentifier(declaration.name)) names.add(declaration.name.text);
    } else if (
      "name" in statement &&
      statement.name !== undefined &&
      ts.isIdentifier(statement.name as ts.Node)
    ) {
      names.add((statement.name as ts.Identifier).text);
    }
  }
  return names;
}

const edges = sources.flatMap(importsOf);
const where = (source: Source, line: number): string => `src/${relative(SRC, source.path)}:${line}`;

describe("the house rules (docs/architecture.md)", () => {
  it("every folder of src/ is a part the rules know", () => {
    const parts = new Set(sources.map((source) => source.part));
    const unknown = [...parts].filter((part) => !(part in MAY_IMPORT) && !OUTER.has(part));
    expect(unknown).toEqual([]);
  });

  it("each part imports only the parts it may (type-only imports included)", () => {
    const broken: string[] = [];
    for (const edge of edges) {
      const from = edge.from.part;
      const to = partOf(edge.to);
      if (from === to || OUTER.has(from)) continue;
      if (OUTER.has(to))
        broken.push(`${where(edge.from, edge.line)}: ${from} imports ${to}, which nothing may import`);
      else if (!(MAY_IMPORT[from] ?? []).includes(to))
        broken.push(`${where(edge.from, edge.line)}: ${from} may not import ${to}`);
    }
    expect(broken).toEqual([]);
  });

  it("a part imports of another only what that part publishes in its index.ts", () => {
    const published = new Map<string, Set<string>>();
    const publishedBy = (part: string): Set<string> => {
      let names = published.get(part);
      if (names === undefined) {
        names = exportedNames(join(SRC, part, "index.ts"));
        published.set(part, names);
      }
      return names;
    };
    const broken: string[] = [];
    for (const source of sources) {
      if (OUTER.has(source.part)) continue;
      for (const statement of source.file.statements) {
        if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier)) continue;
        const specifier = statement.moduleSpecifier.text;
        if (!specifier.startsWith(".")) continue;
        const target = partOf(resolve(dirname(source.path), specifier));
        if (target === source.part) continue;
        const bindings = statement.importClause?.namedBindings;
        const names =
          bindings !== undefined && ts.isNamedImports(bindings)
            ? bindings.elements.map((element) => (element.propertyName ?? element.name).text)
            : ["*"];
        const line = source.file.getLineAndCharacterOfPosition(statement.getStart()).line + 1;
        for (const name of names)
          if (!publishedBy(target).has(name))
            broken.push(`${where(source, line)}: ${name} is not in src/${target}/index.ts`);
      }
    }
    expect(broken).toEqual([]);
  });

  it("no import cycle exists at run time (static and dynamic imports; type-only ones are erased)", () => {
    const graph = new Map<string, string[]>();
    for (const edge of edges) {
      if (edge.typeOnly) continue;
      const next = graph.get(edge.from.path) ?? [];
      next.push(edge.to);
      graph.set(edge.from.path, next);
    }
    // Tarjan's strongly connected components: any component of two or more files is a cycle.
    const index = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const onStack = new Set<string>();
    const cycles: string[][] = [];
    let counter = 0;
    const connect = (node: string): void => {
      index.set(node, counter);
      low.set(node, counter);
      counter += 1;
      stack.push(node);
      onStack.add(node);
      for (const next of graph.get(node) ?? []) {
        if (!index.has(next)) {
          connect(next);
          low.set(node, Math.min(low.get(node) as number, low.get(next) as number));
        } else if (onStack.has(next))
          low.set(node, Math.min(low.get(node) as number, index.get(next) as number));
      }
      if (low.get(node) !== index.get(node)) return;
      const component: string[] = [];
      let member: string | undefined;
      do {
        member = stack.pop() as string;
        onStack.delete(member);
        component.push(`src/${relative(SRC, member)}`);
      } while (member !== node);
      if (component.length > 1) cycles.push(component.sort());
    };
    for (const node of graph.keys()) if (!index.has(node)) connect(node);
    expect(cycles).toEqual([]);
  });

  it(`no function is longer than ${MAX_FUNCTION_LINES} lines`, () => {
    const long: string[] = [];
    for (const source of sources) {
      const visit = (node: ts.Node): void => {
        if (ts.isFunctionLike(node) && "body" in node && node.body !== undefined) {
          const first = source.file.getLineAndCharacterOfPosition(node.getStart()).line;
          const last = source.file.getLineAndCharacterOfPosition(node.getEnd()).line;
          const lines = last - first + 1;
          if (lines > MAX_FUNCTION_LINES) long.push(`${where(source, first + 1)}: ${lines} lines`);
        }
        ts.forEachChild(node, visit);
      };
      visit(source.file);
    }
    expect(long).toEqual([]);
  });

  it(`no folder holds more than ${MAX_FOLDER_SHARE * 100}% of src/ (in lines)`, () => {
    const total = sources.reduce((sum, source) => sum + source.lines, 0);
    const byPart = new Map<string, number>();
    for (const source of sources) byPart.set(source.part, (byPart.get(source.part) ?? 0) + source.lines);
    const over = [...byPart]
      .filter(([, lines]) => lines / total > MAX_FOLDER_SHARE)
      .map(([part, lines]) => `${part}: ${((100 * lines) / total).toFixed(1)}%`);
    expect(over).toEqual([]);
  });
});
