//! A suite's cases. A case is a `prompt` (or a `messages` conversation), an optional `system`
//! prompt, `{{variables}}` filled from `vars`, request `params` (temperature, max_tokens,
//! response_format, tools), and `checks`. Suites are written as JSON lines or as a YAML list
//! (so teams keep them in git), and stored in SQLite as the same specs.
//!
//! A case that cannot be read is reported with its line (its item number in YAML), case and
//! field, and the rest of the suite still loads and runs.

use super::checks::{Check, CheckSpec};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// A case as written, exported and stored; `Suite::new` builds it into a `Case` to run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messages: Option<Vec<Value>>,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub vars: Map<String, Value>,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub params: Map<String, Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<CheckSpec>,
}

/// A case ready to send: the conversation with its variables filled in.
pub struct Case {
    pub id: String,
    pub messages: Vec<Value>,
    /// Request fields besides `model` and `messages`.
    pub params: Map<String, Value>,
    pub checks: Vec<Check>,
}

/// A case that could not be made into one that runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    /// The line in a JSONL file; the item number in a YAML list or a stored suite.
    pub line: usize,
    pub case: String,
    pub field: String,
    pub message: String,
}

/// One case as read, before it is built: its line (or item number) and its spec, or why it
/// could not be read (field, message).
pub type Item = (usize, Result<CaseSpec, (String, String)>);

pub struct Suite {
    pub name: String,
    pub cases: Vec<Case>,
    /// The specs of `cases`, in step with them, each with its id filled in.
    pub specs: Vec<CaseSpec>,
    pub problems: Vec<Problem>,
}

/// Request fields a case may set; the rest are Sluice's to set or make no sense per case.
const PARAMS: &[&str] = &["temperature", "top_p", "max_tokens", "max_completion_tokens", "response_format", "tools", "tool_choice", "seed", "stop"];

/// The cases of a JSON-lines file; blank lines are skipped.
pub fn read_jsonl(text: &str) -> Vec<Item> {
    text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()).map(|(i, line)| (i + 1, serde_json::from_str(line).map_err(serde_field))).collect()
}

/// The cases of a YAML file: a list of cases, as in JSONL.
pub fn read_yaml(text: &str) -> Result<Vec<Item>, String> {
    let items: Vec<serde_yaml_ng::Value> = serde_yaml_ng::from_str(text).map_err(|e| format!("not a YAML list of cases: {e}"))?;
    Ok(items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let spec = serde_json::to_value(item).map_err(|e| ("case".to_owned(), e.to_string())).and_then(|v| serde_json::from_value(v).map_err(serde_field));
            (i + 1, spec)
        })
        .collect())
}

/// Cases given as JSON values (the admin API), numbered from 1.
pub fn read_values(values: Vec<Value>) -> Vec<Item> {
    values.into_iter().enumerate().map(|(i, v)| (i + 1, serde_json::from_value(v).map_err(serde_field))).collect()
}

/// A serde error's field (its first `name` in backticks) and message.
fn serde_field(e: serde_json::Error) -> (String, String) {
    (e.to_string().split('`').nth(1).unwrap_or("line").to_owned(), e.to_string())
}

/// The specs as a JSON-lines file.
pub fn write_jsonl(specs: &[CaseSpec]) -> String {
    specs.iter().map(|s| serde_json::to_string(s).expect("specs serialize") + "\n").collect()
}

/// The specs as a YAML list. Through JSON values: serde_yaml writes an enum as a YAML tag
/// (`!contains x`), where people (and JSONL) write a map (`contains: x`).
pub fn write_yaml(specs: &[CaseSpec]) -> String {
    let plain = serde_json::to_value(specs).expect("specs serialize");
    serde_yaml_ng::to_string(&plain).expect("JSON values serialize")
}

impl Suite {
    pub fn new(name: &str, items: Vec<Item>) -> Suite {
        let mut suite = Suite { name: name.to_owned(), cases: Vec::new(), specs: Vec::new(), problems: Vec::new() };
        for (n, item) in items {
            let fallback = format!("line {n}");
            let mut spec = match item {
                Ok(spec) => spec,
                Err((field, message)) => {
                    suite.problems.push(Problem { line: n, case: fallback, field, message });
                    continue;
                }
            };
            let id = spec.id.clone().unwrap_or(fallback);
            if suite.cases.iter().any(|c| c.id == id) {
                suite.problems.push(Problem { line: n, case: id, field: "id".into(), message: "another case has this id; ids must be unique".into() });
                continue;
            }
            spec.id = Some(id.clone());
            match Case::build(&spec, id.clone()) {
                Ok(case) => {
                    suite.cases.push(case);
                    suite.specs.push(spec);
                }
                Err((field, message)) => suite.problems.push(Problem { line: n, case: id, field, message }),
            }
        }
        suite
    }

    /// A stored suite (its specs numbered from 1, as they were stored).
    pub fn from_specs(name: &str, specs: &[CaseSpec]) -> Suite {
        Suite::new(name, specs.iter().cloned().enumerate().map(|(i, s)| (i + 1, Ok(s))).collect())
    }

    pub fn parse_jsonl(name: &str, text: &str) -> Suite {
        Suite::new(name, read_jsonl(text))
    }
}

impl CaseSpec {
    /// A case asking what a logged request asked (given in the internal chat form), with its
    /// parameters and no checks yet; `Err` says why it cannot be one (suites are text only).
    pub fn from_chat(id: String, body: &Map<String, Value>) -> Result<CaseSpec, String> {
        let messages = body.get("messages").and_then(Value::as_array).ok_or("the request has no messages")?;
        let mut system = None;
        let mut turns = Vec::new();
        for (i, m) in messages.iter().enumerate() {
            let role = m["role"].as_str().unwrap_or("");
            let text = crate::wire::plain_text(&m["content"]).ok_or_else(|| format!("messages[{i}] holds more than text (images, files or tool calls); suite cases are text"))?;
            match role {
                "system" | "developer" if i == 0 => system = Some(text),
                "user" | "assistant" => turns.push(json!({ "role": role, "content": text })),
                _ => return Err(format!("messages[{i}] is a `{role}` message; suite cases have a system prompt, then user and assistant turns")),
            }
        }
        let params = body.iter().filter(|(k, _)| PARAMS.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect();
        let (prompt, messages) = match turns.as_slice() {
            [only] if only["role"] == "user" => (only["content"].as_str().map(str::to_owned), None),
            [] => return Err("the request has no user message".into()),
            _ => (None, Some(turns)),
        };
        Ok(CaseSpec { id: Some(id), system, prompt, messages, vars: Map::new(), params, checks: Vec::new() })
    }
}

impl Case {
    fn build(spec: &CaseSpec, id: String) -> Result<Case, (String, String)> {
        let vars = &spec.vars;
        let mut messages = Vec::new();
        if let Some(system) = &spec.system {
            messages.push(json!({ "role": "system", "content": render(system, vars, "system")? }));
        }
        match (&spec.prompt, &spec.messages) {
            (Some(_), Some(_)) => return Err(("prompt".into(), "give `prompt` or `messages`, not both".into())),
            (None, None) => return Err(("prompt".into(), "give a `prompt` (or a `messages` conversation)".into())),
            (Some(p), None) => messages.push(json!({ "role": "user", "content": render(p, vars, "prompt")? })),
            (None, Some(turns)) => {
                for (i, m) in turns.iter().enumerate() {
                    let field = format!("messages[{i}].content");
                    let mut m = m.clone();
                    match m.get("content").and_then(Value::as_str) {
                        Some(c) => m["content"] = json!(render(c, vars, &field)?),
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
        Ok(Case { id, messages, params: spec.params.clone(), checks })
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

    #[test]
    fn yaml_reads_and_writes_what_jsonl_does() {
        let text = "- id: a\n  prompt: hi\n  checks:\n    - contains: hi\n    - judge: {rubric: kind, min_score: 0.5}\n- prompt: [not, text]\n";
        let s = Suite::new("t", read_yaml(text).unwrap());
        assert_eq!(s.cases.len(), 1);
        assert_eq!((s.problems[0].line, s.problems[0].case.as_str()), (2, "line 2"));
        let written = write_yaml(&s.specs);
        assert!(written.contains("- contains: hi"), "maps, not YAML tags: {written}");
        assert_eq!(Suite::new("t", read_yaml(&written).unwrap()).specs, s.specs);
        assert_eq!(Suite::parse_jsonl("t", &write_jsonl(&s.specs)).specs, s.specs);
        assert!(read_yaml("a: map").unwrap_err().contains("not a YAML list"));
    }

    #[test]
    fn a_logged_request_becomes_a_text_case() {
        let chat = |v: Value| v.as_object().unwrap().clone();
        let one = CaseSpec::from_chat("r".into(), &chat(json!({"model": "m", "stream": true, "temperature": 0, "messages": [{"role": "system", "content": "S"}, {"role": "user", "content": [{"type": "text", "text": "Q"}]}]}))).unwrap();
        assert_eq!((one.system.as_deref(), one.prompt.as_deref(), one.params.keys().map(String::as_str).collect::<Vec<_>>()), (Some("S"), Some("Q"), vec!["temperature"]));
        let image = json!({"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]});
        assert!(CaseSpec::from_chat("r".into(), &chat(image)).unwrap_err().contains("messages[0]"));
        let tool = json!({"messages": [{"role": "user", "content": "q"}, {"role": "tool", "content": "r"}]});
        assert!(CaseSpec::from_chat("r".into(), &chat(tool)).unwrap_err().contains("`tool` message"));
    }
}
