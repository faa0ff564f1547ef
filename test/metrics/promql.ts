/**
 * PromQL structure, read with Prometheus's own Lezer grammar (the one its web UI uses), so the
 * dashboard checks look at real syntax trees rather than at regular expressions. Syntax validity
 * itself is judged by promtool; this parser recovers from errors by inserting error nodes, which
 * selectors() refuses.
 */
import { parser } from '@prometheus-io/lezer-promql';

/** A node of the syntax tree (typed through the parser, so no direct @lezer/common import). */
type SyntaxNode = ReturnType<typeof parser.parse>['topNode'];

/** Grafana fills these in before a query reaches Prometheus; tests substitute plausible values. */
export function substituteGrafanaVariables(expr: string): string {
  return expr
    .replaceAll('$__rate_interval', '1m')
    .replaceAll('$__interval', '15s')
    .replaceAll('$__range', '1h')
    .replace(/\$\{?(job|backend|store)\}?/g, '.*');
}

export interface SelectorUse {
  /** The metric name as written, e.g. `stowage_persist_duration_seconds_bucket`. */
  readonly metric: string;
  /** The innermost function the selector is an argument of, e.g. `rate`, or undefined. */
  readonly enclosingFunction: string | undefined;
}

/** Every vector selector in the expression, with the function that consumes it. */
export function selectors(expr: string): SelectorUse[] {
  const uses: SelectorUse[] = [];
  const tree = parser.parse(expr);
  tree.iterate({
    enter(ref) {
      if (ref.type.isError) throw new Error(`PromQL does not parse near ${ref.from}: ${expr}`);
      if (ref.name !== 'VectorSelector') return;
      const name = ref.node.getChild('Identifier');
      if (!name) return;
      uses.push({
        metric: expr.slice(name.from, name.to),
        enclosingFunction: enclosingFunction(ref.node, expr),
      });
    },
  });
  return uses;
}

function enclosingFunction(node: SyntaxNode, expr: string): string | undefined {
  for (let at = node.parent; at; at = at.parent) {
    if (at.name === 'FunctionCall') {
      const identifier = at.getChild('FunctionIdentifier');
      return identifier ? expr.slice(identifier.from, identifier.to) : undefined;
    }
    // A selector inside an aggregation or arithmetic is not a function argument.
    if (at.name !== 'MatrixSelector' && at.name !== 'FunctionCallBody' && at.name !== 'ParenExpr')
      return undefined;
  }
  return undefined;
}

const COMPARISONS = new Set(['Gtr', 'Gte', 'Lss', 'Lte', 'Eql', 'Neq']);

/**
 * For an alert condition `<signal> <op> <number>`, the signal on its own; undefined when the
 * expression is not of that shape. Used to query what an alert watches, whether or not it fires.
 */
export function signalOfCondition(expr: string): string | undefined {
  const top = parser.parse(expr).topNode.firstChild;
  if (top?.name !== 'BinaryExpr') return undefined;
  const [left, op, right] = [top.firstChild, top.firstChild?.nextSibling, top.lastChild];
  if (!left || !op || !right || !COMPARISONS.has(op.name) || right.name !== 'NumberDurationLiteral')
    return undefined;
  return expr.slice(left.from, left.to).trim();
}
