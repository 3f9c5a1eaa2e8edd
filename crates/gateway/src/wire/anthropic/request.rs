//! Anthropic Messages requests ↔ the internal (OpenAI chat) request.
//!
//! Into the internal form: `system` becomes a system message, `tool_result` blocks become
//! `tool` messages (placed first, as OpenAI wants them right after the assistant's calls),
//! images and PDFs become `image_url` and `file` parts, `tool_use` becomes `tool_calls`, and
//! `cache_control` markers stay on the parts that carry them. What the internal form cannot say
//! (server tools, block types and fields Sluice does not know) is listed as untranslatable: an
//! Anthropic target gets the client's own body anyway, and any other target refuses the request
//! naming those fields. Some fields are wishes about how Anthropic should work, not content
//! (`WISHES`: thinking, effort, server-side context clearing, `top_k`): a translated target
//! answers without them. Earlier thinking blocks only mean something to the model that
//! signed them, and are left out likewise. A `system` turn inside `messages` stays in place.
//!
//! Out of the internal form, for an Anthropic target called by another client: the reverse,
//! with a `max_tokens` default since Anthropic requires one.

use crate::wire::{type_name, FieldError, Internal};
use serde_json::{json, Map, Value};

/// Anthropic requires `max_tokens`; OpenAI-shaped requests often leave it out.
pub const DEFAULT_MAX_TOKENS: u64 = 8192;

/// The largest image Anthropic's API takes, decoded.
const MAX_IMAGE_BYTES: usize = 5 << 20;

fn bad(path: impl Into<String>, message: impl Into<String>) -> FieldError {
    FieldError { path: path.into(), message: message.into() }
}

/// Anthropic fields that ask for a way of working (extended thinking, effort, clearing old
/// context server-side) rather than carry content, or tune sampling in a way other APIs have no
/// knob for (`top_k`): other targets answer without them.
pub const WISHES: &[&str] = &["thinking", "output_config", "context_management", "top_k"];

/// Fields the conversion maps; with `WISHES`, everything else goes to Anthropic targets only.
const MAPPED: &[&str] = &["model", "messages", "system", "max_tokens", "stop_sequences", "stream", "temperature", "top_p", "tools", "tool_choice", "metadata", "service_tier"];

pub fn to_internal(req: &Map<String, Value>) -> Result<Internal, FieldError> {
    let mut untranslatable: Vec<String> = req.keys().filter(|k| !MAPPED.contains(&k.as_str()) && !WISHES.contains(&k.as_str())).cloned().collect();
    let mut out = Map::new();
    match req.get("model") {
        Some(Value::String(m)) if !m.trim().is_empty() => out.insert("model".into(), json!(m)),
        _ => return Err(bad("model", "`model` is required: a model name, a route name, or \"provider/model\"")),
    };
    match req.get("max_tokens") {
        Some(v) if v.as_u64().is_some() => out.insert("max_tokens".into(), v.clone()),
        None => return Err(bad("max_tokens", "`max_tokens` is required: the most tokens the answer may have")),
        Some(v) => return Err(bad("max_tokens", format!("`max_tokens` must be a whole number, not {}", type_name(v)))),
    };
    let mut messages = Vec::new();
    match req.get("system") {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) => messages.push(json!({"role": "system", "content": s})),
        Some(Value::Array(blocks)) => {
            let parts = blocks.iter().enumerate().map(|(i, b)| text_part(b, &format!("system[{i}]"))).collect::<Result<Vec<_>, _>>()?;
            messages.push(json!({"role": "system", "content": parts}));
        }
        Some(v) => return Err(bad("system", format!("`system` must be a string or an array of text blocks, not {}", type_name(v)))),
    }
    let turns = match req.get("messages") {
        Some(Value::Array(m)) if !m.is_empty() => m,
        Some(Value::Array(_)) => return Err(bad("messages", "`messages` must contain at least one message")),
        _ => return Err(bad("messages", "`messages` is required: a list of {\"role\", \"content\"} objects")),
    };
    for (i, m) in turns.iter().enumerate() {
        let path = format!("messages[{i}]");
        let role = m.get("role").and_then(Value::as_str).unwrap_or("");
        let content = m.get("content").ok_or_else(|| bad(format!("{path}.content"), format!("{path}.content is required")))?;
        match role {
            "user" => user_turn(content, &path, &mut messages, &mut untranslatable)?,
            "assistant" => messages.push(assistant_turn(content, &path, &mut untranslatable)?),
            "system" => messages.push(json!({"role": "system", "content": match content {
                Value::String(s) => json!(s),
                Value::Array(blocks) => Value::Array(blocks.iter().enumerate().map(|(j, b)| text_part(b, &format!("{path}.content[{j}]"))).collect::<Result<_, _>>()?),
                other => return Err(bad(format!("{path}.content"), format!("{path}.content must be a string or text blocks, not {}", type_name(other)))),
            }})),
            _ => return Err(bad(format!("{path}.role"), format!("{path}.role must be \"user\", \"assistant\" or \"system\""))),
        }
    }
    out.insert("messages".into(), Value::Array(messages));
    for (from, to) in [("temperature", "temperature"), ("top_p", "top_p"), ("stream", "stream"), ("stop_sequences", "stop")] {
        if let Some(v) = req.get(from).filter(|v| !v.is_null()) {
            out.insert(to.into(), v.clone());
        }
    }
    // Fields only Anthropic has stay in the internal body under their own names, so the cache
    // key and the semantic partition tell requests apart by them; other targets drop the
    // wishes and refuse the rest.
    for (k, v) in req.iter().filter(|(k, _)| !MAPPED.contains(&k.as_str())) {
        out.insert(k.clone(), v.clone());
    }
    if let Some(user) = req.get("metadata").and_then(|m| m.get("user_id")).and_then(Value::as_str) {
        out.insert("user".into(), json!(user));
    }
    if let Some(tools) = req.get("tools").filter(|v| !v.is_null()) {
        let Value::Array(tools) = tools else { return Err(bad("tools", format!("`tools` must be an array, not {}", type_name(tools)))) };
        let mut converted = Vec::new();
        for (i, t) in tools.iter().enumerate() {
            match tool(t, &format!("tools[{i}]"))? {
                Some(t) => converted.push(t),
                None => untranslatable.push(format!("tools[{i}] ({})", t.get("type").and_then(Value::as_str).unwrap_or("server tool"))),
            }
        }
        out.insert("tools".into(), Value::Array(converted));
    }
    if let Some(choice) = req.get("tool_choice").filter(|v| !v.is_null()) {
        let (choice, parallel) = tool_choice(choice)?;
        out.insert("tool_choice".into(), choice);
        if let Some(p) = parallel {
            out.insert("parallel_tool_calls".into(), json!(p));
        }
    }
    Ok(Internal { body: out, untranslatable })
}

fn text_part(block: &Value, path: &str) -> Result<Value, FieldError> {
    match (block.get("type").and_then(Value::as_str), block.get("text").and_then(Value::as_str)) {
        (Some("text"), Some(text)) => {
            let mut part = json!({"type": "text", "text": text});
            copy_cache_control(block, &mut part);
            Ok(part)
        }
        _ => Err(bad(path, format!("{path} must be a text block {{\"type\": \"text\", \"text\": …}}"))),
    }
}

fn copy_cache_control(from: &Value, to: &mut Value) {
    if let Some(c) = from.get("cache_control") {
        to["cache_control"] = c.clone();
    }
}

/// A user turn: its `tool_result` blocks become `tool` messages, the rest one user message.
fn user_turn(content: &Value, path: &str, out: &mut Vec<Value>, untranslatable: &mut Vec<String>) -> Result<(), FieldError> {
    let blocks = match content {
        Value::String(s) => {
            out.push(json!({"role": "user", "content": s}));
            return Ok(());
        }
        Value::Array(blocks) => blocks,
        other => return Err(bad(format!("{path}.content"), format!("{path}.content must be a string or an array of content blocks, not {}", type_name(other)))),
    };
    let mut parts = Vec::new();
    for (j, b) in blocks.iter().enumerate() {
        let bpath = format!("{path}.content[{j}]");
        match b.get("type").and_then(Value::as_str) {
            Some("tool_result") => {
                let id = b.get("tool_use_id").and_then(Value::as_str).ok_or_else(|| bad(format!("{bpath}.tool_use_id"), format!("{bpath}.tool_use_id is required")))?;
                let mut text = tool_result_text(b.get("content"), &bpath, untranslatable)?;
                if b.get("is_error").and_then(Value::as_bool) == Some(true) {
                    // OpenAI's tool messages have no error flag; the words carry it.
                    text = format!("[tool error] {text}");
                }
                out.push(json!({"role": "tool", "tool_call_id": id, "content": text}));
            }
            _ => {
                if let Some(part) = content_part(b, &bpath, untranslatable)? {
                    parts.push(part);
                }
            }
        }
    }
    if !parts.is_empty() {
        out.push(json!({"role": "user", "content": parts}));
    }
    Ok(())
}

fn tool_result_text(content: Option<&Value>, path: &str, untranslatable: &mut Vec<String>) -> Result<String, FieldError> {
    match content {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(Value::Array(blocks)) => {
            let mut texts = Vec::new();
            for (k, b) in blocks.iter().enumerate() {
                match (b.get("type").and_then(Value::as_str), b.get("text").and_then(Value::as_str)) {
                    (Some("text"), Some(t)) => texts.push(t.to_owned()),
                    _ => untranslatable.push(format!("{path}.content[{k}]")),
                }
            }
            Ok(texts.join("\n"))
        }
        Some(other) => Err(bad(format!("{path}.content"), format!("{path}.content must be a string or an array of blocks, not {}", type_name(other)))),
    }
}

/// One non-tool block of a user turn as an OpenAI content part.
fn content_part(b: &Value, path: &str, untranslatable: &mut Vec<String>) -> Result<Option<Value>, FieldError> {
    let kind = b.get("type").and_then(Value::as_str).ok_or_else(|| bad(format!("{path}.type"), format!("{path}.type is required (text, image, document, tool_result, …)")))?;
    let mut part = match kind {
        "text" => text_part(b, path)?,
        "image" => {
            let url = source_url(b, path, "image")?;
            json!({"type": "image_url", "image_url": {"url": url}})
        }
        "document" if b.pointer("/source/type").and_then(Value::as_str) == Some("text") => {
            json!({"type": "text", "text": b.pointer("/source/data").and_then(Value::as_str).unwrap_or("")})
        }
        "document" => {
            let url = source_url(b, path, "document")?;
            json!({"type": "file", "file": {"filename": b.get("title").and_then(Value::as_str).unwrap_or("document.pdf"), "file_data": url}})
        }
        _ => {
            untranslatable.push(format!("{path} ({kind})"));
            return Ok(None);
        }
    };
    copy_cache_control(b, &mut part);
    Ok(Some(part))
}

/// A base64 or URL source as a URL (a `data:` URL for base64).
fn source_url(b: &Value, path: &str, what: &str) -> Result<String, FieldError> {
    let source = b.get("source").ok_or_else(|| bad(format!("{path}.source"), format!("{path}.source is required for an {what} block")))?;
    match source.get("type").and_then(Value::as_str) {
        Some("base64") => {
            let media = source.get("media_type").and_then(Value::as_str).ok_or_else(|| bad(format!("{path}.source.media_type"), format!("{path}.source.media_type is required, e.g. \"image/png\"")))?;
            let data = source.get("data").and_then(Value::as_str).ok_or_else(|| bad(format!("{path}.source.data"), format!("{path}.source.data is required: the base64 bytes")))?;
            Ok(format!("data:{media};base64,{data}"))
        }
        Some("url") => source.get("url").and_then(Value::as_str).map(str::to_owned).ok_or_else(|| bad(format!("{path}.source.url"), format!("{path}.source.url is required"))),
        other => Err(bad(format!("{path}.source.type"), format!("{path}.source.type must be \"base64\" or \"url\", not {}", other.map_or("missing".into(), |t| format!("\"{t}\""))))),
    }
}

fn assistant_turn(content: &Value, path: &str, untranslatable: &mut Vec<String>) -> Result<Value, FieldError> {
    let blocks = match content {
        Value::String(s) => return Ok(json!({"role": "assistant", "content": s})),
        Value::Array(blocks) => blocks,
        other => return Err(bad(format!("{path}.content"), format!("{path}.content must be a string or an array of content blocks, not {}", type_name(other)))),
    };
    let mut text = String::new();
    let mut calls = Vec::new();
    for (j, b) in blocks.iter().enumerate() {
        let bpath = format!("{path}.content[{j}]");
        match b.get("type").and_then(Value::as_str) {
            Some("text") => text.push_str(b.get("text").and_then(Value::as_str).unwrap_or("")),
            Some("tool_use") => {
                let id = b.get("id").and_then(Value::as_str).ok_or_else(|| bad(format!("{bpath}.id"), format!("{bpath}.id is required")))?;
                let name = b.get("name").and_then(Value::as_str).ok_or_else(|| bad(format!("{bpath}.name"), format!("{bpath}.name is required")))?;
                let input = b.get("input").cloned().unwrap_or_else(|| json!({}));
                calls.push(json!({"id": id, "type": "function", "function": {"name": name, "arguments": input.to_string()}}));
            }
            // Earlier thinking only matters to the model that wrote it (its signature says so).
            Some("thinking" | "redacted_thinking") => {}
            Some(kind) => untranslatable.push(format!("{bpath} ({kind})")),
            None => return Err(bad(format!("{bpath}.type"), format!("{bpath}.type is required"))),
        }
    }
    let mut message = json!({"role": "assistant", "content": if text.is_empty() && !calls.is_empty() { Value::Null } else { json!(text) }});
    if !calls.is_empty() {
        message["tool_calls"] = Value::Array(calls);
    }
    Ok(message)
}

/// A custom tool as an OpenAI function; `None` for Anthropic's server tools (`type` set).
fn tool(t: &Value, path: &str) -> Result<Option<Value>, FieldError> {
    if t.get("type").and_then(Value::as_str).is_some_and(|k| k != "custom") {
        return Ok(None);
    }
    let name = t.get("name").and_then(Value::as_str).ok_or_else(|| bad(format!("{path}.name"), format!("{path}.name is required")))?;
    let schema = match t.get("input_schema") {
        Some(s @ Value::Object(_)) => s.clone(),
        Some(other) => return Err(bad(format!("{path}.input_schema"), format!("{path}.input_schema must be a JSON Schema object, not {}", type_name(other)))),
        None => return Err(bad(format!("{path}.input_schema"), format!("{path}.input_schema is required: a JSON Schema object"))),
    };
    let mut function = json!({"name": name, "parameters": schema});
    if let Some(d) = t.get("description").and_then(Value::as_str) {
        function["description"] = json!(d);
    }
    let mut out = json!({"type": "function", "function": function});
    copy_cache_control(t, &mut out);
    Ok(Some(out))
}

/// Anthropic's `tool_choice` as OpenAI's, and `parallel_tool_calls` when it says.
fn tool_choice(choice: &Value) -> Result<(Value, Option<bool>), FieldError> {
    let parallel = choice.get("disable_parallel_tool_use").and_then(Value::as_bool).map(|d| !d);
    let converted = match choice.get("type").and_then(Value::as_str) {
        Some("auto") => json!("auto"),
        Some("any") => json!("required"),
        Some("none") => json!("none"),
        Some("tool") => match choice.get("name").and_then(Value::as_str) {
            Some(name) => json!({"type": "function", "function": {"name": name}}),
            None => return Err(bad("tool_choice.name", "tool_choice of type \"tool\" needs `name`")),
        },
        _ => return Err(bad("tool_choice.type", "tool_choice.type must be \"auto\", \"any\", \"tool\" or \"none\"")),
    };
    Ok((converted, parallel))
}

/// An internal request as an Anthropic Messages body for `model`.
pub fn from_internal(body: &Map<String, Value>, model: &str) -> Result<Map<String, Value>, FieldError> {
    for (k, v) in body {
        if !expressible(k, v) {
            return Err(bad(k.clone(), format!("`{k}` = {v} has no equivalent in Anthropic's API")));
        }
    }
    let mut out = Map::new();
    out.insert("model".into(), json!(model));
    let max = body.get("max_completion_tokens").or_else(|| body.get("max_tokens")).and_then(Value::as_u64).unwrap_or(DEFAULT_MAX_TOKENS);
    out.insert("max_tokens".into(), json!(max));
    let mut system: Vec<Value> = Vec::new();
    let mut messages: Vec<Value> = Vec::new();
    let empty = Vec::new();
    for (i, m) in body.get("messages").and_then(Value::as_array).unwrap_or(&empty).iter().enumerate() {
        let path = format!("messages[{i}]");
        match m.get("role").and_then(Value::as_str).unwrap_or("") {
            "system" | "developer" => system.extend(text_blocks(m.get("content"), &path)?),
            "user" => push_turn(&mut messages, "user", user_blocks(m.get("content"), &path)?),
            "assistant" => push_turn(&mut messages, "assistant", assistant_blocks(m, &path)?),
            "tool" => {
                let id = m.get("tool_call_id").and_then(Value::as_str).ok_or_else(|| bad(format!("{path}.tool_call_id"), format!("{path}.tool_call_id is required")))?;
                let text: String = text_blocks(m.get("content"), &path)?.iter().filter_map(|b| b.get("text").and_then(Value::as_str)).collect();
                push_turn(&mut messages, "user", vec![json!({"type": "tool_result", "tool_use_id": id, "content": text})]);
            }
            other => return Err(bad(format!("{path}.role"), format!("{path}.role \"{other}\" has no Anthropic equivalent"))),
        }
    }
    if !system.is_empty() {
        out.insert("system".into(), Value::Array(system));
    }
    out.insert("messages".into(), Value::Array(messages));
    for key in ["temperature", "top_p", "stream"] {
        if let Some(v) = body.get(key).filter(|v| !v.is_null()) {
            out.insert(key.into(), v.clone());
        }
    }
    match body.get("stop") {
        Some(Value::String(s)) => _ = out.insert("stop_sequences".into(), json!([s])),
        Some(Value::Array(a)) => _ = out.insert("stop_sequences".into(), Value::Array(a.clone())),
        _ => {}
    }
    if let Some(user) = body.get("user").and_then(Value::as_str) {
        out.insert("metadata".into(), json!({"user_id": user}));
    }
    if let Some(tools) = body.get("tools").and_then(Value::as_array) {
        let converted = tools
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let f = t.get("function").ok_or_else(|| bad(format!("tools[{i}].function"), format!("tools[{i}] must be a function tool")))?;
                if f.get("parameters").is_some_and(|p| !p.is_object()) {
                    return Err(bad(format!("tools[{i}].function.parameters"), format!("tools[{i}].function.parameters must be a JSON Schema object")));
                }
                let mut tool = json!({"name": f.get("name").cloned().unwrap_or(Value::Null), "input_schema": f.get("parameters").cloned().unwrap_or_else(|| json!({"type": "object"}))});
                if let Some(d) = f.get("description") {
                    tool["description"] = d.clone();
                }
                copy_cache_control(t, &mut tool);
                Ok(tool)
            })
            .collect::<Result<Vec<_>, FieldError>>()?;
        out.insert("tools".into(), Value::Array(converted));
    }
    let parallel = body.get("parallel_tool_calls").and_then(Value::as_bool);
    let mut choice = match body.get("tool_choice") {
        None | Some(Value::Null) => parallel.map(|_| json!({"type": "auto"})),
        Some(Value::String(s)) if s == "auto" => Some(json!({"type": "auto"})),
        Some(Value::String(s)) if s == "required" => Some(json!({"type": "any"})),
        Some(Value::String(s)) if s == "none" => Some(json!({"type": "none"})),
        Some(c) => match c.pointer("/function/name") {
            Some(name) => Some(json!({"type": "tool", "name": name})),
            None => return Err(bad("tool_choice", "tool_choice must be \"auto\", \"required\", \"none\" or a function")),
        },
    };
    if let (Some(c), Some(false)) = (&mut choice, parallel) {
        c["disable_parallel_tool_use"] = json!(true);
    }
    if let Some(c) = choice {
        out.insert("tool_choice".into(), c);
    }
    Ok(out)
}

/// Whether an internal request field can go to Anthropic: mapped, bookkeeping that changes no
/// answer, or left at a value that asks for nothing.
fn expressible(key: &str, v: &Value) -> bool {
    match key {
        "model" | "messages" | "max_tokens" | "max_completion_tokens" | "temperature" | "top_p" | "stream" | "stop" | "user" | "tools" | "tool_choice" | "parallel_tool_calls" => true,
        "stream_options" | "store" | "metadata" | "service_tier" | "prompt_cache_key" | "safety_identifier" | "seed" => true,
        "n" => v.as_u64().is_none_or(|n| n == 1),
        "frequency_penalty" | "presence_penalty" => v.as_f64().is_none_or(|p| p == 0.0),
        "logprobs" => !v.as_bool().unwrap_or(false),
        "response_format" => v.get("type").and_then(Value::as_str).is_none_or(|t| t == "text"),
        _ => v.is_null(),
    }
}

/// Anthropic wants user and assistant turns to alternate; consecutive ones merge.
fn push_turn(messages: &mut Vec<Value>, role: &str, blocks: Vec<Value>) {
    crate::wire::push_turn(messages, role, "content", blocks);
}

fn text_blocks(content: Option<&Value>, path: &str) -> Result<Vec<Value>, FieldError> {
    let texts = crate::wire::texts(content, path)?;
    Ok(texts
        .into_iter()
        .map(|(text, part)| {
            let mut block = json!({"type": "text", "text": text});
            if let Some(p) = part {
                copy_cache_control(p, &mut block);
            }
            block
        })
        .collect())
}

fn user_blocks(content: Option<&Value>, path: &str) -> Result<Vec<Value>, FieldError> {
    let Some(Value::Array(parts)) = content else { return text_blocks(content, path) };
    parts
        .iter()
        .enumerate()
        .map(|(j, p)| {
            let ppath = format!("{path}.content[{j}]");
            let mut block = match p.get("type").and_then(Value::as_str) {
                Some("text") => json!({"type": "text", "text": p.get("text").and_then(Value::as_str).unwrap_or("")}),
                Some("image_url") => {
                    let url = p.pointer("/image_url/url").and_then(Value::as_str).ok_or_else(|| bad(format!("{ppath}.image_url.url"), format!("{ppath}.image_url.url is required")))?;
                    let source = data_or_url(url, &ppath)?;
                    let bytes = source["data"].as_str().map_or(0, |d| d.len() / 4 * 3);
                    if bytes > MAX_IMAGE_BYTES {
                        return Err(bad(ppath.clone(), format!("{ppath} is an image of {:.1} MB; Anthropic takes images up to 5 MB", bytes as f64 / (1 << 20) as f64)));
                    }
                    json!({"type": "image", "source": source})
                }
                Some("file") => {
                    let data = p.pointer("/file/file_data").and_then(Value::as_str).ok_or_else(|| bad(format!("{ppath}.file.file_data"), format!("{ppath}.file.file_data is required (file ids cannot be sent to Anthropic)")))?;
                    json!({"type": "document", "source": data_or_url(data, &ppath)?})
                }
                other => return Err(bad(ppath.clone(), format!("{ppath} has type {} that Anthropic cannot take", other.map_or("missing".into(), |t| format!("\"{t}\""))))),
            };
            copy_cache_control(p, &mut block);
            Ok(block)
        })
        .collect()
}

fn data_or_url(url: &str, path: &str) -> Result<Value, FieldError> {
    if let Some(rest) = url.strip_prefix("data:") {
        let (media, data) = rest.split_once(";base64,").ok_or_else(|| bad(path, format!("{path} has a data: URL that is not base64")))?;
        return Ok(json!({"type": "base64", "media_type": media, "data": data}));
    }
    Ok(json!({"type": "url", "url": url}))
}

fn assistant_blocks(m: &Value, path: &str) -> Result<Vec<Value>, FieldError> {
    let mut blocks: Vec<Value> = m.get("thinking_blocks").and_then(Value::as_array).cloned().unwrap_or_default();
    blocks.extend(text_blocks(m.get("content"), path)?.into_iter().filter(|b| b["text"] != ""));
    for (k, call) in m.get("tool_calls").and_then(Value::as_array).into_iter().flatten().enumerate() {
        let args = call.pointer("/function/arguments").and_then(Value::as_str).unwrap_or("{}");
        let input = serde_json::from_str::<Map<String, Value>>(args).map_err(|e| bad(format!("{path}.tool_calls[{k}].function.arguments"), format!("{path}.tool_calls[{k}].function.arguments must be a JSON object: {e}")))?;
        blocks.push(json!({"type": "tool_use", "id": call.get("id").cloned().unwrap_or(Value::Null), "name": call.pointer("/function/name").cloned().unwrap_or(Value::Null), "input": input}));
    }
    Ok(blocks)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn a_tool_conversation_goes_in_and_back_out() {
        let anthropic = obj(json!({
            "model": "claude-sonnet-4-5", "max_tokens": 100, "stop_sequences": ["END"],
            "system": [{"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral"}}],
            "tools": [{"name": "get_weather", "description": "Weather", "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}}],
            "tool_choice": {"type": "auto", "disable_parallel_tool_use": true},
            "messages": [
                {"role": "user", "content": [{"type": "text", "text": "Weather in Paris?"}, {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBO"}}]},
                {"role": "assistant", "content": [{"type": "thinking", "thinking": "hm", "signature": "sig"}, {"type": "text", "text": "Checking."}, {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}}]},
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "Sunny"}, {"type": "text", "text": "Thanks"}]}
            ]
        }));
        let internal = to_internal(&anthropic).unwrap();
        assert!(internal.untranslatable.is_empty(), "{:?}", internal.untranslatable);
        let body = &internal.body;
        assert_eq!(body["messages"][0], json!({"role": "system", "content": [{"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral"}}]}));
        assert_eq!(body["messages"][1]["content"][1]["image_url"]["url"], "data:image/png;base64,iVBO");
        assert_eq!(body["messages"][2]["tool_calls"][0]["function"]["arguments"], "{\"city\":\"Paris\"}");
        assert_eq!(body["messages"][3], json!({"role": "tool", "tool_call_id": "toolu_1", "content": "Sunny"}));
        assert_eq!(body["messages"][4]["content"][0]["text"], "Thanks");
        assert_eq!(body["parallel_tool_calls"], false);
        assert_eq!(body["stop"], json!(["END"]));

        let back = from_internal(body, "claude-x").unwrap();
        assert_eq!(back["system"], anthropic["system"]);
        assert_eq!(back["tools"], anthropic["tools"]);
        assert_eq!(back["tool_choice"], anthropic["tool_choice"]);
        assert_eq!(back["stop_sequences"], anthropic["stop_sequences"]);
        assert_eq!(back["messages"][0], anthropic["messages"][0]);
        assert_eq!(back["messages"][1]["content"].as_array().unwrap()[..], anthropic["messages"][1]["content"].as_array().unwrap()[1..], "all but the thinking");
        assert_eq!(back["messages"][2], anthropic["messages"][2], "the tool result and the text stay one user turn");
    }

    #[test]
    fn what_only_anthropic_can_do_is_named() {
        let req = obj(json!({"model": "m", "max_tokens": 5, "top_k": 3, "container": "c",
            "tools": [{"type": "web_search_20250305", "name": "web_search"}],
            "messages": [{"role": "user", "content": [{"type": "search_result", "source": "x"}]}]}));
        let internal = to_internal(&req).unwrap();
        let mut names = internal.untranslatable;
        names.sort();
        assert_eq!(names, ["container", "messages[0].content[0] (search_result)", "tools[0] (web_search_20250305)"]);
        assert_eq!((&internal.body["top_k"], &internal.body["container"]), (&json!(3), &json!("c")), "kept for the cache key");
    }

    #[test]
    fn what_anthropic_cannot_do_is_refused() {
        let ok = obj(json!({"model": "m", "messages": [], "n": 1, "seed": 4, "response_format": {"type": "text"}, "stream_options": {"include_usage": true}}));
        assert!(from_internal(&ok, "c").is_ok());
        for (k, v) in [("n", json!(2)), ("response_format", json!({"type": "json_object"})), ("logit_bias", json!({"1": 2})), ("logprobs", json!(true))] {
            let mut body = ok.clone();
            body.insert(k.into(), v);
            assert_eq!(from_internal(&body, "c").unwrap_err().path, k);
        }
        let big = format!("data:image/png;base64,{}", "A".repeat(7 << 20));
        let image = obj(json!({"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": big}}]}]}));
        let err = from_internal(&image, "c").unwrap_err();
        assert_eq!(err.path, "messages[0].content[0]");
        assert!(err.message.contains("up to 5 MB"), "{}", err.message);
        let schema = obj(json!({"messages": [], "tools": [{"type": "function", "function": {"name": "f", "parameters": "none"}}]}));
        assert_eq!(from_internal(&schema, "c").unwrap_err().path, "tools[0].function.parameters");
    }

    #[test]
    fn bad_fields_are_named() {
        let err = |v: Value| to_internal(&obj(v)).err().unwrap().path;
        assert_eq!(err(json!({"max_tokens": 5, "messages": [{"role": "user", "content": "x"}]})), "model");
        assert_eq!(err(json!({"model": "m", "messages": [{"role": "user", "content": "x"}]})), "max_tokens");
        assert_eq!(err(json!({"model": "m", "max_tokens": 1, "messages": [{"role": "robot", "content": "x"}]})), "messages[0].role");
        assert_eq!(err(json!({"model": "m", "max_tokens": 1, "messages": [{"role": "system", "content": 5}]})), "messages[0].content");
        assert_eq!(err(json!({"model": "m", "max_tokens": 1, "messages": [{"role": "user", "content": [{"type": "image", "source": {"type": "file"}}]}]})), "messages[0].content[0].source.type");
        assert_eq!(err(json!({"model": "m", "max_tokens": 1, "tools": [{"name": "t", "input_schema": "no"}], "messages": [{"role": "user", "content": "x"}]})), "tools[0].input_schema");
    }
}
