import type { z } from 'zod';
import { AppError, type FieldProblem } from '../errors/app-error';

/** zod issues as field problems, e.g. `query.limit`, `body.contact.email`. */
export function fieldProblems(part: string, error: z.ZodError): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const issue of error.issues) {
    const base = [part, ...issue.path.map(String)].join('.');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) problems.push({ field: `${base}.${key}`, message: 'unknown field' });
    } else {
      problems.push({ field: base, message: issue.message });
    }
  }
  return problems;
}

/** Parses one part of a request; collects problems instead of throwing so all parts are reported. */
export function parsePart<S extends z.ZodType>(
  part: string,
  schema: S | undefined,
  value: unknown,
  problems: FieldProblem[],
): z.output<S> | undefined {
  if (!schema) return undefined;
  const result = schema.safeParse(value);
  if (result.success) return result.data as z.output<S>;
  problems.push(...fieldProblems(part, result.error));
  return undefined;
}

export function invalid(problems: FieldProblem[]): AppError {
  return new AppError('invalid', 'The request is not valid; see errors for each field.', {
    details: problems,
  });
}
