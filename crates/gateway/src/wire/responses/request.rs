//! OpenAI Responses requests → the internal (chat) request: the stateless subset Codex CLI
//! uses. `instructions` becomes a system message; `input` items become messages, tool calls
//! and tool results; reasoning items are left out (only the model that wrote them can read
//! them); function tools stay functions, namespaced ones are flattened, and freeform `custom`
//! tools become functions taking one string, `input`. Hosted tools (web search and the like)
//! and `reasoning`, `text.verbosity`, `include` are wishes: an OpenAI target gets the client's
//! own request, others answer without them. `previous_response_id` needs state Sluice does not
//! keep and is refused by name.

use crate::wire::{type_name, FieldError, Internal};
use serde_json::{json, Map, Value};

fn bad(path: impl Into<String>, message: impl Into<String>) -> FieldError {
    FieldError { path: path.into(), message: message.into() }
}

/// Internal body fields that only ask the Responses API for a way of working.
pub const WISHES: &[&str] = &["reasoning", "include", "client_metadata", "truncation", "verbosity", "hosted_tools"];

/// The schema a freeform tool's single argument gets as a function.
fn custom_parameters() -> Value {
    json!({"type": "object", "properties": {"input": {"type": "string", "description": "The tool's whole input, as free text"}}, "required": ["input"]})
}

pub fn to_internal(req: &Map<String, Value>) -> Result<Internal, FieldError> {
    let mut untranslatable = Vec::new();
    let mut out = Map::new();
    match req.get("model") {
        Some(Value::String(m)) if !m.trim().is_empty() => out.insert("model".into(), json!(m)),
        _ => return Err(bad("model", "`model` is required: a model name, a route name, or \"provider/model\"")),
    };
    if req.get("previous_response_id").is_some_and(|v| !v.is_null()) {
        return Err(bad("previous_response_id", "previous_response_id is not supported: Sluice keeps no responses; send the whole conversation in `input` with store: false"));
    }
    let mut messages = Vec::new();
    if let Some(i) = req.get("instructions").and_then(Value::as_str).filter(|i| !i.is_empty()) {
        messages.push(json!({"role": "system", "content": i}));
    }
    match req.get("input") {
        Some(Value::String(s)) => messages.push(json!({"role": "user", "content": s})),
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                input_item(item, &format!("input[{i}]"), &mut messages, &mut untranslatable)?;
            }
        }
        None => return Err(bad("input", "`input` is required: a string or a list of items")),
        Some(other) => return Err(bad("input", format!("`input` must be a string or an array, not {}", type_name(other)))),
    }
    out.insert("messages".into(), Value::Array(messages));
    let mut hosted = Vec::new();
    if let Some(tools) = req.get("tools").and_then(Value::as_array) {
        let mut converted = Vec::new();
        for (i, t) in tools.iter().enumerate() {
            tool(t, &format!("tools[{i}]"), &mut converted, &mut hosted)?;
        }
        out.insert("tools".into(), Value::Array(converted));
    }
    if !hosted.is_empty() {
        out.insert("hosted_tools".into(), Value::Array(hosted));
    }
    for (k, v) in req.iter().filter(|(_, v)| !v.is_null()) {
        match k.as_str() {
            "model" | "input" | "instructions" | "tools" | "previous_response_id" | "store" => {}
            "temperature" | "top_p" | "stream" | "parallel_tool_calls" | "prompt_cache_key" | "user" | "metadata" | "safety_identifier" | "service_tier" => _ = out.insert(k.clone(), v.clone()),
            "max_output_tokens" => _ = out.insert("max_tokens".into(), v.clone()),
            "tool_choice" => _ = out.insert("tool_choice".into(), match v.get("name") {
                Some(name) => json!({"type": "function", "function": {"name": name}}),
                None => v.clone(),
            }),
            "text" => {
                match v.pointer("/format/type").and_then(Value::as_str) {
                    Some("json_schema") => {
                        let f = &v["format"];
                        let mut schema = json!({"name": f.get("name").cloned().unwrap_or_else(|| json!("response")), "schema": f.get("schema").cloned().unwrap_or_else(|| json!({}))});
                        if let Some(strict) = f.get("strict") {
                            schema["strict"] = strict.clone();
                        }
                        out.insert("response_format".into(), json!({"type": "json_schema", "json_schema": schema}));
                    }
                    Some("json_object") => _ = out.insert("response_format".into(), json!({"type": "json_object"})),
                    _ => {}
                }
                if let Some(verbosity) = v.get("verbosity") {
                    out.insert("verbosity".into(), verbosity.clone());
                }
            }
            "reasoning" | "include" | "client_metadata" | "truncation" => _ = out.insert(k.clone(), v.clone()),
            _ => {
                untranslatable.push(k.clone());
                out.insert(k.clone(), v.clone());
            }
        }
    }
    Ok(Internal { body: out, untranslatable })
}

fn input_item(item: &Value, path: &str, messages: &mut Vec<Value>, untranslatable: &mut Vec<String>) -> Result<(), FieldError> {
    let kind = item.get("type").and_then(Value::as_str).unwrap_or(if item.get("role").is_some() { "message" } else { "" });
    match kind {
        "message" => {
            let role = item.get("role").and_then(Value::as_str).unwrap_or("");
            // Chat APIs beyond OpenAI's own know `system`, not `developer`.
            let role = match role {
                "developer" => "system",
                "user" | "assistant" | "system" => role,
                _ => return Err(bad(format!("{path}.role"), format!("{path}.role must be \"user\", \"assistant\", \"system\" or \"developer\""))),
            };
            let content = match item.get("content") {
                Some(Value::String(s)) => json!(s),
                Some(Value::Array(parts)) => {
                    let parts = parts.iter().enumerate().map(|(j, p)| content_part(p, &format!("{path}.content[{j}]"), untranslatable)).collect::<Result<Vec<_>, _>>()?;
                    let parts: Vec<Value> = parts.into_iter().flatten().collect();
                    if parts.iter().all(|p| p["type"] == "text") {
                        json!(parts.iter().filter_map(|p| p["text"].as_str()).collect::<Vec<_>>().join(""))
                    } else {
                        Value::Array(parts)
                    }
                }
                _ => return Err(bad(format!("{path}.content"), format!("{path}.content must be a string or a list of parts"))),
            };
            messages.push(json!({"role": role, "content": content}));
        }
        "function_call" | "custom_tool_call" => {
            let call_id = item.get("call_id").and_then(Value::as_str).ok_or_else(|| bad(format!("{path}.call_id"), format!("{path}.call_id is required")))?;
            let name = item.get("name").and_then(Value::as_str).ok_or_else(|| bad(format!("{path}.name"), format!("{path}.name is required")))?;
            let arguments = match kind {
                "function_call" => item.get("arguments").and_then(Value::as_str).unwrap_or("{}").to_owned(),
                _ => json!({"input": item.get("input").and_then(Value::as_str).unwrap_or("")}).to_string(),
            };
            let call = json!({"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}});
            // Calls the assistant made together are one assistant message.
            match messages.last_mut().filter(|m| m["role"] == "assistant" && m.get("tool_calls").is_some()) {
                Some(m) => m["tool_calls"].as_array_mut().expect("an array").push(call),
                None => match messages.last_mut().filter(|m| m["role"] == "assistant") {
                    Some(m) => m["tool_calls"] = json!([call]),
                    None => messages.push(json!({"role": "assistant", "content": null, "tool_calls": [call]})),
                },
            }
        }
        "function_call_output" | "custom_tool_call_output" => {
            let call_id = item.get("call_id").and_then(Value::as_str).ok_or_else(|| bad(format!("{path}.call_id"), format!("{path}.call_id is required")))?;
            let output = match item.get("output") {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Array(parts)) => parts.iter().filter_map(|p| p.get("text").and_then(Value::as_str)).collect::<Vec<_>>().join("\n"),
                Some(other) => other.to_string(),
                None => String::new(),
            };
            messages.push(json!({"role": "tool", "tool_call_id": call_id, "content": output}));
        }
        // Reasoning only means something to the model that wrote it.
        "reasoning" => {}
        other => untranslatable.push(format!("{path} ({other})")),
    }
    Ok(())
}

fn content_part(p: &Value, path: &str, untranslatable: &mut Vec<String>) -> Result<Option<Value>, FieldError> {
    Ok(Some(match p.get("type").and_then(Value::as_str).unwrap_or("") {
        "input_text" | "output_text" | "text" => json!({"type": "text", "text": p.get("text").and_then(Value::as_str).unwrap_or("")}),
        "refusal" => json!({"type": "text", "text": p.get("refusal").and_then(Value::as_str).unwrap_or("")}),
        "input_image" => match p.get("image_url").and_then(Value::as_str) {
            Some(url) => json!({"type": "image_url", "image_url": {"url": url, "detail": p.get("detail").cloned().unwrap_or_else(|| json!("auto"))}}),
            None => {
                untranslatable.push(format!("{path} (an image by file_id)"));
                return Ok(None);
            }
        },
        "input_file" => match p.get("file_data") {
            Some(data) => json!({"type": "file", "file": {"filename": p.get("filename").cloned().unwrap_or_else(|| json!("file")), "file_data": data}}),
            None => {
                untranslatable.push(format!("{path} (a file by id or URL)"));
                return Ok(None);
            }
        },
        other => return Err(bad(path, format!("{path} has an unknown content type \"{other}\""))),
    }))
}

fn tool(t: &Value, path: &str, out: &mut Vec<Value>, hosted: &mut Vec<Value>) -> Result<(), FieldError> {
    match t.get("type").and_then(Value::as_str).unwrap_or("") {
        "function" => {
            let name = t.get("name").and_then(Value::as_str).ok_or_else(|| bad(format!("{path}.name"), format!("{path}.name is required")))?;
            let parameters = t.get("parameters").cloned().unwrap_or_else(|| json!({"type": "object", "properties": {}}));
            if !parameters.is_object() {
                return Err(bad(format!("{path}.parameters"), format!("{path}.parameters must be a JSON Schema object")));
            }
            let mut f = json!({"name": name, "parameters": parameters});
            for key in ["description", "strict"] {
                if let Some(v) = t.get(key).filter(|v| !v.is_null()) {
                    f[key] = v.clone();
                }
            }
            out.push(json!({"type": "function", "function": f}));
        }
        "custom" => {
            let name = t.get("name").and_then(Value::as_str).ok_or_else(|| bad(format!("{path}.name"), format!("{path}.name is required")))?;
            let mut description = t.get("description").and_then(Value::as_str).unwrap_or("").to_owned();
            if let Some(def) = t.pointer("/format/definition").and_then(Value::as_str) {
                description.push_str(&format!("\n\nThe input must follow this grammar:\n{def}"));
            }
            out.push(json!({"type": "function", "function": {"name": name, "description": description, "parameters": custom_parameters()}}));
        }
        "namespace" => {
            for (j, inner) in t.get("tools").and_then(Value::as_array).into_iter().flatten().enumerate() {
                tool(inner, &format!("{path}.tools[{j}]"), out, hosted)?;
            }
        }
        "" => return Err(bad(format!("{path}.type"), format!("{path}.type is required (function, custom, web_search, …)"))),
        _ => hosted.push(t.clone()),
    }
    Ok(())
}

/// The names of the freeform tools a request declares: their calls go back to the client as
/// `custom_tool_call`s.
pub fn custom_tools(req: &Map<String, Value>) -> Vec<String> {
    fn walk(tools: &[Value], out: &mut Vec<String>) {
        for t in tools {
            match t.get("type").and_then(Value::as_str) {
                Some("custom") => out.extend(t.get("name").and_then(Value::as_str).map(str::to_owned)),
                Some("namespace") => walk(t.get("tools").and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[]), out),
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    walk(req.get("tools").and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[]), &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn a_codex_turn_reads_as_chat() {
        let req = obj(json!({
            "model": "gpt-5", "instructions": "Be a coder.", "store": false, "stream": true, "parallel_tool_calls": true,
            "reasoning": {"summary": "auto"}, "include": ["reasoning.encrypted_content"], "prompt_cache_key": "k",
            "tools": [
                {"type": "function", "name": "exec_command", "description": "Run", "strict": false, "parameters": {"type": "object", "properties": {"cmd": {"type": "string"}}}},
                {"type": "custom", "name": "apply_patch", "description": "Patch", "format": {"type": "grammar", "syntax": "lark", "definition": "start: x"}},
                {"type": "namespace", "name": "agents", "tools": [{"type": "function", "name": "spawn_agent", "parameters": {"type": "object"}}]},
                {"type": "web_search", "external_web_access": false}
            ],
            "input": [
                {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "Rules."}]},
                {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "List files"}]},
                {"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": "xx"},
                {"type": "function_call", "call_id": "call_1", "name": "exec_command", "arguments": "{\"cmd\":\"ls\"}"},
                {"type": "custom_tool_call", "call_id": "call_2", "name": "apply_patch", "input": "*** Begin"},
                {"type": "function_call_output", "call_id": "call_1", "output": "a.txt"},
                {"type": "custom_tool_call_output", "call_id": "call_2", "output": "done"}
            ]
        }));
        let internal = to_internal(&req).unwrap();
        assert!(internal.untranslatable.is_empty(), "{:?}", internal.untranslatable);
        let b = &internal.body;
        assert_eq!(b["messages"][0], json!({"role": "system", "content": "Be a coder."}));
        assert_eq!(b["messages"][1], json!({"role": "system", "content": "Rules."}));
        assert_eq!(b["messages"][3]["tool_calls"][1]["function"]["arguments"], "{\"input\":\"*** Begin\"}");
        assert_eq!(b["messages"][4], json!({"role": "tool", "tool_call_id": "call_1", "content": "a.txt"}));
        let names: Vec<&str> = b["tools"].as_array().unwrap().iter().map(|t| t["function"]["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["exec_command", "apply_patch", "spawn_agent"]);
        assert_eq!(b["hosted_tools"], json!([{"type": "web_search", "external_web_access": false}]));
        assert_eq!(custom_tools(&req), ["apply_patch"]);
    }

    #[test]
    fn what_needs_state_or_a_file_store_is_refused_by_name() {
        let err = to_internal(&obj(json!({"model": "m", "input": "x", "previous_response_id": "resp_1"}))).err().unwrap();
        assert_eq!(err.path, "previous_response_id");
        let internal = to_internal(&obj(json!({"model": "m", "input": [{"role": "user", "content": [{"type": "input_image", "file_id": "f"}]}], "conversation": "c"}))).unwrap();
        assert_eq!(internal.untranslatable, ["input[0].content[0] (an image by file_id)", "conversation"]);
        assert_eq!(to_internal(&obj(json!({"model": "m"}))).err().unwrap().path, "input");
    }
}
