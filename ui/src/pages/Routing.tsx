import { useEffect, useMemo, useRef, useState } from "react";
import { ApiError } from "../api/client";
import { useConfig, useRuleStats, useSaveConfig } from "../api/hooks";
import type { Rule } from "../api/types";
import { ErrorBox } from "../components/ErrorBox";
import { checkRule, move, ruleErrorAt, type RuleProblems } from "../lib/rules";
import { RuleEditor } from "./routing/RuleEditor";
import { RuleList } from "./routing/RuleList";
import { TestBox } from "./routing/TestBox";

const same = (a: Rule[], b: Rule[]) => JSON.stringify(a) === JSON.stringify(b);

/** Rules in order, one open in the editor; nothing changes until Save (PUT /api/config). */
export function Routing() {
  const config = useConfig(true);
  const save = useSaveConfig();
  const [days, setDays] = useState(7);
  const stats = useRuleStats(days);
  const saved = config.data?.config;
  const [rules, setRules] = useState<Rule[]>([]);
  const [selected, setSelected] = useState<number | null>(null);
  // The saved rules the draft started from: a hand edit of the file replaces an untouched
  // draft, and only warns over one being edited.
  const base = useRef<Rule[] | null>(null);
  const [changedUnderneath, setChangedUnderneath] = useState(false);

  const draft = useRef(rules);
  draft.current = rules;
  useEffect(() => {
    if (!saved) return;
    const next = saved.rules ?? [];
    const untouched = base.current === null || same(draft.current, base.current);
    if (untouched) setRules(next);
    setChangedUnderneath(!untouched && !same(next, draft.current));
    base.current = next;
  }, [saved]);

  const problems: RuleProblems[] = useMemo(() => {
    const providers = saved?.providers.map((p) => p.id) ?? [];
    return rules.map((r, i) => checkRule(r, rules.filter((_, j) => j !== i).map((x) => x.name.trim()), providers));
  }, [rules, saved]);
  const serverError = save.error instanceof ApiError ? ruleErrorAt(save.error.param) : null;
  // The server's message starts with the field it names, which the page shows by placement.
  const serverMessage = () => save.error!.message.replace(/^\S+: /, "");
  const problemsOf = (i: number): RuleProblems => ({ ...(serverError?.index === i ? { [serverError.field || "name"]: serverMessage() } : {}), ...problems[i] });
  const invalid = new Set(rules.map((_, i) => i).filter((i) => Object.keys(problemsOf(i)).length > 0));
  if (!saved) return <ErrorBox error={config.error} />;

  const dirty = !same(rules, saved.rules ?? []);
  // A server error is about the rules as they were sent; any edit makes it stale.
  const edit = (next: Rule[]) => {
    setRules(next);
    if (save.error) save.reset();
  };
  const update = (i: number, rule: Rule) => edit(rules.map((r, j) => (j === i ? rule : r)));
  const add = () => {
    edit([...rules, { name: `rule-${rules.length + 1}`, when: { model: "auto" }, then: {} }]);
    setSelected(rules.length);
  };
  const onMove = (from: number, to: number) => {
    edit(move(rules, from, to));
    if (selected === from) setSelected(to);
  };
  const submit = () => {
    const unfit = problems.findIndex((p) => Object.keys(p).length > 0);
    if (unfit >= 0) return setSelected(unfit);
    save.reset();
    save.mutate({ ...saved, rules }, { onError: (e) => { const at = e instanceof ApiError ? ruleErrorAt(e.param) : null; if (at) setSelected(at.index); } });
  };

  return (
    <>
      <section className="card">
        <div className="row between">
          <h2>Rules</h2>
          <div className="row">
            <select aria-label="Figures over" value={days} onChange={(e) => setDays(Number(e.target.value))}>
              <option value={7}>last 7 days</option>
              <option value={30}>last 30 days</option>
            </select>
            <button onClick={add}>Add rule</button>
          </div>
        </div>
        <p className="muted small">The first rule whose conditions all hold decides a request; a request none matches goes to the model it names.</p>
        <RuleList rules={rules} routes={saved.routes.map((r) => r.model)} selected={selected} stats={stats.data ?? []} invalid={invalid} onSelect={setSelected} onMove={onMove} />
        <div className="row">
          <button className="primary" onClick={submit} disabled={!dirty || save.isPending}>
            {save.isPending ? "Saving…" : "Save rules"}
          </button>
          <button className="ghost" onClick={() => edit(saved.rules ?? [])} disabled={!dirty}>
            Discard changes
          </button>
          {dirty && <span className="muted small">Unsaved changes</span>}
          {dirty && changedUnderneath && (
            <span className="warning small" role="status">
              The config file changed since you began; saving replaces its rules with these.
            </span>
          )}
          {save.isSuccess && !dirty && <span className="ok-text small" role="status">Saved</span>}
          {selected !== null && rules[selected] && (
            <button className="ghost danger" onClick={() => (edit(rules.filter((_, j) => j !== selected)), setSelected(null))}>
              Delete {rules[selected].name}
            </button>
          )}
        </div>
        {save.error && !serverError && <ErrorBox error={save.error} title="Could not save:" />}
      </section>
      {selected !== null && rules[selected] && (
        <RuleEditor rule={rules[selected]} onChange={(r) => update(selected, r)} problems={problemsOf(selected)} intents={saved.intents?.map((x) => x.name) ?? []} budgets={saved.budgets?.map((b) => b.name) ?? []} />
      )}
      <TestBox rules={rules} />
    </>
  );
}
