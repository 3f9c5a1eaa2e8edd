import type { RuleProblems } from "../../lib/rules";

/** The problem with one field, shown under it. */
export function FieldError({ problems, field }: { problems: RuleProblems; field: string }) {
  const message = problems[field];
  return message ? <div className="field-error" role="alert" data-field={field}>{message}</div> : null;
}
