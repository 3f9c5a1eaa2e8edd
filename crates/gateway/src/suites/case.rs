//! A suite file: JSON lines, one case each. A case is a `prompt` (or a `messages`
//! conversation), an optional `system` prompt, `{{variables}}` filled from `vars`, request
//! `params` (temperature, max_tokens, response_format, tools), and `checks`.
//!
//! A line that cannot be read is reported with its line, case and field, and the rest of the
//! suite still loads and runs.

use super::checks::{Check, CheckSpec};
use serde::Deserialize;
use serde_json::{json, Map, Value};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseSpec {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    system: Option<String>,
    #[serde(default)]
    prompt: Option<String>,
    #[serde(default)]
    messages: Option<Vec<Value>>,
    #[serde(default)]
    vars: Map<String, Value>,
    #[serde(default)]
    params: Map<String, Value>,
    #[serde(default)]
    checks: Vec<CheckSpec>,
}

/// A case ready to send: the conversation with its variables filled in.
pub struct Case {
    pub id: String,
    pub messages: Vec<Value>,
    /// Request fields besides `model` and `messages`.
    pub params: Map<String, Value>,
    pub checks: Vec<Check>,
}

/// A line that could not be made into a case.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Problem {
    pub line: usize,
    pub case: String,
    pub field: String,
    pub message: String,
}

pub struct Suite {
    pub name: String,
    pub cases: Vec<Case>,
    pub problems: Vec<Problem>,
}

/// Request fields a case may set; the rest are Sluice's to set or make no sense per case.
const PARAMS: &[&str] = &["temperature", "top_p", "max_tokens", "max_completion_tokens", "response_format", "tools", "tool_choice", "seed", "stop"];

impl Suite {
    pub fn parse_jsonl(name: &str, text: &str) -> Suite {
        let mut suite = Suite { name: name.to_owned(), cases: Vec::new(), problems: Vec::new() };
        for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            let n = i + 1;
            let fallback = format!("line {n}");
            match serde_json::from_str::<CaseSpec>(line) {
                Err(e) => {
                    let field = e.to_string().split('`').nth(1).unwrap_or("line").to_owned();
                    suite.problems.push(Problem { line: n, case: fallback, field, message: e.to_string() });
                }
                Ok(spec) => {
                    let id = spec.id.clone().unwrap_or(fallback);
                    if suite.cases.iter().any(|c| c.id == id) {
                        suite.problems.push(Problem { line: n, case: id, field: "id".into(), message: "another case has this id; ids must be unique".into() });
                        continue;
                    }
                    match Case::build(spec, id.clone()) {
                        Ok(case) => suite.cases.push(case),
                        Err((field, message)) => suite.problems.push(Problem { line: n, case: id, field, message }),
                    }
                }
            }
        }
        suite
    }
}

impl Case {
    fn build(spec: CaseSpec, id: String) -> Result<Case, (String, String)> {
        let vars: Map<String, Value> = spec.vars;
        let mut messages = Vec::new();
        if let Some(system) = &spec.system {
            messages.push(json!({ "role": "system", "content": render(system, &vars, "system")? }));
        }
        match (spec.prompt, spec.messages) {
            (Some(_), Some(_)) => return Err(("prompt".into(), "give `prompt` or `messages`, not both".into())),
            (None, None) => return Err(("prompt".into(), "give a `prompt` (or a `messages` conversation)".into())),
            (Some(p), None) => messages.push(json!({ "role": "user", "content": render(&p, &vars, "prompt")? })),
            (None, Some(turns)) => {
                for (i, mut m) in turns.into_iter().enumerate() {
                    let field = format!("messages[{i}].content");
                    match m.get("content").and_then(Value::as_str) {
                        Some(c) => m["content"] = json!(render(c, &vars, &field)?),
                        None => return Err((field, "must be a text".into())),
                    }
                    messages.push(m);
                }
            }
        }
        if let Some(k) = spec.params.keys().find(|k| !PARAMS.contains(&k.as_str())) {
            return Err((format!("params.{k}"), format!("not a parameter a case may set; use one of {}", PARAMS.join(", "))));
        }
        let checks = spec.checks.iter().enumerate().map(|(i, c)| Check::compile(c).map_err(|m| (format!("checks[{i}]"), m))).collect::<Result<_, _>>()?;
        Ok(Case { id, messages, params: spec.params, checks })
    }

    /// The last user message, which the judge reads as the question.
    pub fn question(&self) -> &str {
        self.messages.iter().rev().find(|m| m["role"] == "user").and_then(|m| m["content"].as_str()).unwrap_or("")
    }
}

/// `{{name}}` replaced by its value; an unknown name is an error naming the field.
fn render(template: &str, vars: &Map<String, Value>, field: &str) -> Result<String, (String, String)> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or_else(|| (field.to_owned(), "a `{{` is never closed with `}}`".to_owned()))?;
        let name = after[..end].trim();
        let value = vars.get(name).ok_or_else(|| (field.to_owned(), format!("unknown variable `{name}`; add it to `vars`")))?;
        match value {
            Value::String(s) => out.push_str(s),
            other => out.push_str(&other.to_string()),
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases_fill_variables_and_bad_lines_are_named() {
        let text = r#"{"id": "capital", "system": "Answer in {{lang}}.", "prompt": "Capital of {{country}}?", "vars": {"country": "France", "lang": "English"}, "checks": [{"contains": "Paris"}]}
{"id": "typo", "prompt": "Hi {{name}}", "vars": {}}
not json at all
{"id": "bad-regex", "prompt": "x", "checks": [{"contains": "a"}, {"regex": "(("}]}
{"id": "convo", "messages": [{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "4"}, {"role": "user", "content": "times {{n}}?"}], "vars": {"n": 3}, "params": {"temperature": 0}}
{"id": "capital", "prompt": "again"}
{"prompt": "x", "params": {"model": "gpt-4"}}
"#;
        let s = Suite::parse_jsonl("t", text);
        assert_eq!(s.cases.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), ["capital", "convo"]);
        assert_eq!(s.cases[0].messages[0]["content"], "Answer in English.");
        assert_eq!(s.cases[0].question(), "Capital of France?");
        assert_eq!(s.cases[1].question(), "times 3?");
        let problems: Vec<(usize, &str, &str)> = s.problems.iter().map(|p| (p.line, p.case.as_str(), p.field.as_str())).collect();
        assert_eq!(problems, [(2, "typo", "prompt"), (3, "line 3", "line"), (4, "bad-regex", "checks[1]"), (6, "capital", "id"), (7, "line 7", "params.model")]);
        assert!(s.problems[0].message.contains("unknown variable `name`"));
    }
}
