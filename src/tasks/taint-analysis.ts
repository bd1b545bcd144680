import type { Node } from './expression';
import { childrenOf } from './expression/ast';
import type { Entry, Task } from './model';
import { problemAt, type TaskProblem } from './problems';
import { expressionsIn } from './template';

/**
 * validateTask's warnings: which step outputs will be tainted (computed from secrets) and so
 * come back as [secret:NAME] rather than readable data. Only evaluate steps can produce a
 * tainted output (tool and model responses come from outside and are redacted, not tainted);
 * one is tainted when an expression reads `secrets`, or reads the output of a tainted step
 * (`_`, `steps`, `input(s)` are not tainted; named outputs and `steps[...]` are followed).
 */
export function taintWarnings(task: Task): TaskProblem[] {
  const warnings: TaskProblem[] = [];
  const taintedSteps = new Set<number>();
  const taintedNames = new Set<string>();
  for (const step of task.steps) {
    if (step.kind !== 'evaluate') continue;
    const reads = (entry: Entry): boolean => {
      for (const { expr } of expressionsIn(entry.value)) {
        const names = namesIn(expr.ast);
        if (names.has('secrets')) return true;
        if ([...names].some((n) => taintedNames.has(n))) return true;
        if (taintedSteps.size > 0 && names.has('steps')) return true;
        if (names.has('_') && taintedSteps.has(step.index - 1)) return true;
      }
      return false;
    };
    const tainted = step.values.filter(reads);
    if (tainted.length === 0) continue;
    taintedSteps.add(step.index);
    if (step.outputName !== null) taintedNames.add(step.outputName.name);
    for (const entry of tainted) {
      warnings.push(
        problemAt(
          entry.keySite,
          `'${entry.key}' is computed from a secret: it shows as [secret:NAME] in the output; a secret's value can only be sent in a tool or model request`,
        ),
      );
    }
  }
  return warnings;
}

function namesIn(ast: Node): Set<string> {
  const found = new Set<string>();
  const stack: Node[] = [ast];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node.type === 'Name') found.add(node.name);
    stack.push(...childrenOf(node));
  }
  return found;
}
