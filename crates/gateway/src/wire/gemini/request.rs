//! Gemini `generateContent` requests ↔ the internal (OpenAI chat) request.
//!
//! Into the internal form: `systemInstruction` becomes a system message, `model` turns become
//! assistant messages, `functionCall` parts tool calls and `functionResponse` parts tool
//! messages (Gemini calls carry no id unless the client gave one; ids are made up from the
//! call's position and matched to the responses by name, in order), `inlineData` becomes a
//! data-URL image or file part, and `generationConfig` maps onto the sampling parameters and
//! `response_format`. A call's `thoughtSignature` travels on the tool call as
//! `thought_signature`, so Gemini gets it back untouched. Wishes (`thinkingConfig`,
//! `safetySettings`, `topK`) stay in the body for the cache key and are dropped for other
//! targets; what has no equivalent (built-in tools, Files API URIs, cached content, other
//! generation settings) is listed as untranslatable.
//!
//! Out of the internal form, for a Gemini target called by another client: the reverse.

use crate::wire::{type_name, FieldError, Internal};
use serde_json::{json, Map, Value};

fn bad(path: impl Into<String>, message: impl Into<String>) -> FieldError {
    FieldError { path: path.into(), message: message.into() }
}

/// The most inline data Gemini takes in one request.
const MAX_INLINE_BYTES: usize = 20 << 20;

/// Fields of the internal body that only ask Gemini for a way of working, or tune sampling in
/// a way other APIs have no knob for (`topK`, which Gemini CLI always sends).
pub const WISHES: &[&str] = &["thinkingConfig", "safetySettings", "topK"];

/// `model` is the name from the request path (`models/{model}:generateContent`).
pub fn to_internal(req: &Map<String, Value>, model: &str) -> Result<Internal, FieldError> {
    let mut untranslatable = Vec::new();
    let mut out = Map::new();
    out.insert("model".into(), json!(model));
    let mut messages = Vec::new();
    if let Some(sys) = req.get("systemInstruction").or_else(|| req.get("system_instruction")) {
        messages.push(json!({"role": "system", "content": parts_text(sys.get("parts"), "systemInstruction.parts")?}));
    }
    let contents = match req.get("contents") {
        Some(Value::Array(c)) if !c.is_empty() => c,
        Some(Value::Array(_)) | None => return Err(bad("contents", "`contents` is required: a list of {\"role\", \"parts\"} objects")),
        Some(other) => return Err(bad("contents", format!("`contents` must be an array, not {}", type_name(other)))),
    };
    // Ids of the calls the last model turn made, answered in order by the next user turn.
    let mut open_calls: Vec<(String, String)> = Vec::new();
    let mut calls_made = 0usize;
    for (i, turn) in contents.iter().enumerate() {
        let path = format!("contents[{i}]");
        let parts = turn.get("parts").and_then(Value::as_array).ok_or_else(|| bad(format!("{path}.parts"), format!("{path}.parts is required: a list of parts")))?;
        match turn.get("role").and_then(Value::as_str).unwrap_or("user") {
            "model" => {
                let mut text = String::new();
                let mut calls = Vec::new();
                open_calls.clear();
                for (j, p) in parts.iter().enumerate() {
                    if let Some(call) = p.get("functionCall") {
                        let name = call.get("name").and_then(Value::as_str).ok_or_else(|| bad(format!("{path}.parts[{j}].functionCall.name"), "a functionCall needs `name`"))?;
                        let id = call.get("id").and_then(Value::as_str).map(str::to_owned).unwrap_or_else(|| call_id(calls_made, name));
                        calls_made += 1;
                        let mut tc = json!({"id": id, "type": "function", "function": {"name": name, "arguments": call.get("args").cloned().unwrap_or_else(|| json!({})).to_string()}});
                        if let Some(sig) = p.get("thoughtSignature") {
                            tc["thought_signature"] = sig.clone();
                        }
                        open_calls.push((name.to_owned(), id));
                        calls.push(tc);
                    } else if p.get("thought").and_then(Value::as_bool) == Some(true) {
                        // Earlier thoughts only mean something to the model that had them.
                    } else if let Some(t) = p.get("text").and_then(Value::as_str) {
                        text.push_str(t);
                    } else {
                        untranslatable.push(format!("{path}.parts[{j}]"));
                    }
                }
                let mut m = json!({"role": "assistant", "content": if text.is_empty() && !calls.is_empty() { Value::Null } else { json!(text) }});
                if !calls.is_empty() {
                    m["tool_calls"] = Value::Array(calls);
                }
                messages.push(m);
            }
            "user" | "function" => {
                let mut content = Vec::new();
                for (j, p) in parts.iter().enumerate() {
                    let ppath = format!("{path}.parts[{j}]");
                    if let Some(r) = p.get("functionResponse") {
                        let name = r.get("name").and_then(Value::as_str).unwrap_or("");
                        let id = match r.get("id").and_then(Value::as_str) {
                            Some(id) => id.to_owned(),
                            None => match open_calls.iter().position(|(n, _)| n == name) {
                                Some(k) => open_calls.remove(k).1,
                                None => return Err(bad(format!("{ppath}.functionResponse.name"), format!("{ppath} answers a call to `{name}` that the turn before did not make"))),
                            },
                        };
                        messages.push(json!({"role": "tool", "tool_call_id": id, "content": r.get("response").cloned().unwrap_or(Value::Null).to_string()}));
                    } else if let Some(t) = p.get("text").and_then(Value::as_str) {
                        content.push(json!({"type": "text", "text": t}));
                    } else if let Some(d) = p.get("inlineData").or_else(|| p.get("inline_data")) {
                        let mime = d.get("mimeType").or_else(|| d.get("mime_type")).and_then(Value::as_str).ok_or_else(|| bad(format!("{ppath}.inlineData.mimeType"), "inlineData needs `mimeType`"))?;
                        let data = d.get("data").and_then(Value::as_str).ok_or_else(|| bad(format!("{ppath}.inlineData.data"), "inlineData needs `data`: the base64 bytes"))?;
                        let url = format!("data:{mime};base64,{data}");
                        content.push(if mime.starts_with("image/") {
                            json!({"type": "image_url", "image_url": {"url": url}})
                        } else {
                            json!({"type": "file", "file": {"filename": "document", "file_data": url}})
                        });
                    } else {
                        untranslatable.push(ppath);
                    }
                }
                if !content.is_empty() {
                    let plain = content.iter().all(|c| c["type"] == "text");
                    let content = if plain { json!(content.iter().filter_map(|c| c["text"].as_str()).collect::<Vec<_>>().join("")) } else { Value::Array(content) };
                    messages.push(json!({"role": "user", "content": content}));
                }
            }
            other => return Err(bad(format!("{path}.role"), format!("{path}.role must be \"user\" or \"model\", not \"{other}\""))),
        }
    }
    out.insert("messages".into(), Value::Array(messages));
    if let Some(config) = req.get("generationConfig").or_else(|| req.get("generation_config")) {
        generation_config(config, &mut out, &mut untranslatable)?;
    }
    if let Some(tools) = req.get("tools").and_then(Value::as_array) {
        let mut converted = Vec::new();
        for (i, t) in tools.iter().enumerate() {
            match t.get("functionDeclarations").or_else(|| t.get("function_declarations")).and_then(Value::as_array) {
                Some(decls) => {
                    for (j, d) in decls.iter().enumerate() {
                        let name = d.get("name").and_then(Value::as_str).ok_or_else(|| bad(format!("tools[{i}].functionDeclarations[{j}].name"), "a function declaration needs `name`"))?;
                        let params = d.get("parametersJsonSchema").or_else(|| d.get("parameters")).cloned().unwrap_or_else(|| json!({"type": "object", "properties": {}}));
                        if !params.is_object() {
                            return Err(bad(format!("tools[{i}].functionDeclarations[{j}].parameters"), "parameters must be a schema object"));
                        }
                        let mut f = json!({"name": name, "parameters": lower_types(&params)});
                        if let Some(desc) = d.get("description") {
                            f["description"] = desc.clone();
                        }
                        converted.push(json!({"type": "function", "function": f}));
                    }
                }
                None => untranslatable.push(format!("tools[{i}] ({})", t.as_object().and_then(|o| o.keys().next()).map_or("tool", String::as_str))),
            }
        }
        if !converted.is_empty() {
            out.insert("tools".into(), Value::Array(converted));
        }
    }
    let calling = req.get("toolConfig").or_else(|| req.get("tool_config")).and_then(|c| c.get("functionCallingConfig"));
    if let Some(mode) = calling.and_then(|c| c.get("mode")).and_then(Value::as_str) {
        let allowed = calling.and_then(|c| c.get("allowedFunctionNames")).and_then(Value::as_array);
        let choice = match (mode, allowed.map(Vec::as_slice)) {
            ("ANY", Some([one])) => json!({"type": "function", "function": {"name": one}}),
            ("ANY", _) => json!("required"),
            ("NONE", _) => json!("none"),
            _ => json!("auto"),
        };
        out.insert("tool_choice".into(), choice);
    }
    for (k, v) in req {
        match k.as_str() {
            "contents" | "systemInstruction" | "system_instruction" | "generationConfig" | "generation_config" | "tools" | "toolConfig" | "tool_config" => {}
            "safetySettings" | "safety_settings" => _ = out.insert("safetySettings".into(), v.clone()),
            _ => {
                untranslatable.push(k.clone());
                out.insert(k.clone(), v.clone());
            }
        }
    }
    Ok(Internal { body: out, untranslatable })
}

/// The id a call without one gets: its position in the conversation, so it is the same every
/// time the conversation is sent again.
pub fn call_id(n: usize, name: &str) -> String {
    format!("call_{n}_{name}")
}

/// Gemini schemas may spell types in capitals (`STRING`); JSON Schema wants them lower.
fn lower_types(schema: &Value) -> Value {
    match schema {
        Value::Object(o) => Value::Object(o.iter().map(|(k, v)| (k.clone(), if k == "type" { v.as_str().map(|t| json!(t.to_ascii_lowercase())).unwrap_or_else(|| v.clone()) } else { lower_types(v) })).collect()),
        Value::Array(a) => Value::Array(a.iter().map(lower_types).collect()),
        other => other.clone(),
    }
}

fn parts_text(parts: Option<&Value>, path: &str) -> Result<String, FieldError> {
    let parts = parts.and_then(Value::as_array).ok_or_else(|| bad(path, format!("{path} must be a list of text parts")))?;
    Ok(parts.iter().filter_map(|p| p.get("text").and_then(Value::as_str)).collect::<Vec<_>>().join("\n"))
}

fn generation_config(config: &Value, out: &mut Map<String, Value>, untranslatable: &mut Vec<String>) -> Result<(), FieldError> {
    let Some(config) = config.as_object() else { return Err(bad("generationConfig", "generationConfig must be an object")) };
    let schema = config.get("responseJsonSchema").or_else(|| config.get("responseSchema"));
    for (k, v) in config {
        let mapped = match k.as_str() {
            "temperature" => "temperature",
            "topP" | "top_p" => "top_p",
            "maxOutputTokens" | "max_output_tokens" => "max_tokens",
            "stopSequences" | "stop_sequences" => "stop",
            "candidateCount" | "candidate_count" => "n",
            "seed" => "seed",
            "presencePenalty" => "presence_penalty",
            "frequencyPenalty" => "frequency_penalty",
            "thinkingConfig" | "thinking_config" => "thinkingConfig",
            "topK" | "top_k" => "topK",
            "responseMimeType" | "responseSchema" | "responseJsonSchema" => continue,
            "responseModalities" if v.as_array().is_some_and(|m| m.iter().all(|x| x == "TEXT")) => continue,
            _ => {
                untranslatable.push(format!("generationConfig.{k}"));
                out.insert(format!("generationConfig.{k}"), v.clone());
                continue;
            }
        };
        out.insert(mapped.into(), v.clone());
    }
    match (config.get("responseMimeType").and_then(Value::as_str), schema) {
        (Some("application/json"), Some(schema)) => _ = out.insert("response_format".into(), json!({"type": "json_schema", "json_schema": {"name": "response", "schema": lower_types(schema)}})),
        (Some("application/json"), None) => _ = out.insert("response_format".into(), json!({"type": "json_object"})),
        (None | Some("text/plain"), None) => {}
        (mime, _) => return Err(bad("generationConfig.responseMimeType", format!("responseMimeType {} with a schema is not supported; use \"application/json\"", mime.unwrap_or("(none)")))),
    }
    Ok(())
}

/// An internal request as a Gemini `generateContent` body (the model goes in the URL).
pub fn from_internal(body: &Map<String, Value>) -> Result<Map<String, Value>, FieldError> {
    let mut out = Map::new();
    let mut system = Vec::new();
    let mut contents: Vec<Value> = Vec::new();
    let mut names: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    let empty = Vec::new();
    for (i, m) in body.get("messages").and_then(Value::as_array).unwrap_or(&empty).iter().enumerate() {
        let path = format!("messages[{i}]");
        match m.get("role").and_then(Value::as_str).unwrap_or("") {
            "system" | "developer" => system.extend(text_parts(m.get("content"), &path)?),
            "user" => push(&mut contents, "user", user_parts(m.get("content"), &path)?),
            "assistant" => {
                let mut parts = text_parts(m.get("content"), &path)?;
                parts.retain(|p| p["text"] != "");
                for (k, call) in m.get("tool_calls").and_then(Value::as_array).into_iter().flatten().enumerate() {
                    let name = call.pointer("/function/name").and_then(Value::as_str).unwrap_or("");
                    let args = call.pointer("/function/arguments").and_then(Value::as_str).unwrap_or("{}");
                    let args: Value = serde_json::from_str(args).map_err(|e| bad(format!("{path}.tool_calls[{k}].function.arguments"), format!("must be JSON: {e}")))?;
                    names.insert(call.get("id").and_then(Value::as_str).unwrap_or("").to_owned(), name.to_owned());
                    let mut part = json!({"functionCall": {"name": name, "args": args}});
                    if let Some(sig) = call.get("thought_signature") {
                        part["thoughtSignature"] = sig.clone();
                    }
                    parts.push(part);
                }
                push(&mut contents, "model", parts);
            }
            "tool" => {
                let id = m.get("tool_call_id").and_then(Value::as_str).unwrap_or("");
                let name = names.get(id).ok_or_else(|| bad(format!("{path}.tool_call_id"), format!("{path} answers `{id}`, which no earlier tool call has")))?;
                let text: String = text_parts(m.get("content"), &path)?.iter().filter_map(|p| p["text"].as_str()).collect();
                let response = serde_json::from_str::<Value>(&text).ok().filter(Value::is_object).unwrap_or_else(|| json!({"result": text}));
                push(&mut contents, "user", vec![json!({"functionResponse": {"name": name, "response": response}})]);
            }
            other => return Err(bad(format!("{path}.role"), format!("{path}.role \"{other}\" has no Gemini equivalent"))),
        }
    }
    if !system.is_empty() {
        out.insert("systemInstruction".into(), json!({"parts": system}));
    }
    let inline: usize = contents.iter().flat_map(|c| c["parts"].as_array().cloned().unwrap_or_default()).filter_map(|p| p.pointer("/inlineData/data").and_then(Value::as_str).map(|d| d.len() / 4 * 3)).sum();
    if inline > MAX_INLINE_BYTES {
        return Err(bad("messages", format!("the request's images and files come to {:.1} MB; Gemini takes up to 20 MB inline", inline as f64 / (1 << 20) as f64)));
    }
    out.insert("contents".into(), Value::Array(contents));
    let mut config = Map::new();
    for (k, v) in body.iter().filter(|(_, v)| !v.is_null()) {
        let key = match k.as_str() {
            "model" | "messages" | "stream" | "stream_options" | "user" | "store" | "metadata" | "service_tier" | "prompt_cache_key" | "safety_identifier" | "tools" | "tool_choice" => continue,
            "parallel_tool_calls" => continue,
            "temperature" => "temperature",
            "top_p" => "topP",
            "max_tokens" | "max_completion_tokens" => "maxOutputTokens",
            "n" => "candidateCount",
            "seed" => "seed",
            "presence_penalty" => "presencePenalty",
            "frequency_penalty" => "frequencyPenalty",
            "stop" => {
                config.insert("stopSequences".into(), if v.is_string() { json!([v]) } else { v.clone() });
                continue;
            }
            "response_format" => {
                match v.get("type").and_then(Value::as_str) {
                    Some("json_object") => _ = config.insert("responseMimeType".into(), json!("application/json")),
                    Some("json_schema") => {
                        config.insert("responseMimeType".into(), json!("application/json"));
                        config.insert("responseJsonSchema".into(), v.pointer("/json_schema/schema").cloned().unwrap_or_else(|| json!({})));
                    }
                    _ => {}
                }
                continue;
            }
            _ => return Err(bad(k.clone(), format!("`{k}` has no equivalent in Gemini's API"))),
        };
        config.insert(key.into(), v.clone());
    }
    if !config.is_empty() {
        out.insert("generationConfig".into(), Value::Object(config));
    }
    if let Some(tools) = body.get("tools").and_then(Value::as_array) {
        let decls: Vec<Value> = tools
            .iter()
            .filter_map(|t| t.get("function"))
            .map(|f| {
                let mut d = json!({"name": f.get("name"), "parametersJsonSchema": f.get("parameters").cloned().unwrap_or_else(|| json!({"type": "object"}))});
                if let Some(desc) = f.get("description") {
                    d["description"] = desc.clone();
                }
                d
            })
            .collect();
        out.insert("tools".into(), json!([{"functionDeclarations": decls}]));
    }
    let mode = match body.get("tool_choice") {
        Some(Value::String(s)) if s == "required" => Some(json!({"mode": "ANY"})),
        Some(Value::String(s)) if s == "none" => Some(json!({"mode": "NONE"})),
        Some(c) if c.pointer("/function/name").is_some() => Some(json!({"mode": "ANY", "allowedFunctionNames": [c.pointer("/function/name")]})),
        _ => None,
    };
    if let Some(mode) = mode {
        out.insert("toolConfig".into(), json!({"functionCallingConfig": mode}));
    }
    Ok(out)
}

/// Consecutive turns of one role are one Gemini turn.
fn push(contents: &mut Vec<Value>, role: &str, parts: Vec<Value>) {
    crate::wire::push_turn(contents, role, "parts", parts);
}

fn text_parts(content: Option<&Value>, path: &str) -> Result<Vec<Value>, FieldError> {
    Ok(crate::wire::texts(content, path)?.into_iter().map(|(text, _)| json!({ "text": text })).collect())
}

fn user_parts(content: Option<&Value>, path: &str) -> Result<Vec<Value>, FieldError> {
    let Some(Value::Array(parts)) = content else { return text_parts(content, path) };
    parts
        .iter()
        .enumerate()
        .map(|(j, p)| {
            let ppath = format!("{path}.content[{j}]");
            let url = match p.get("type").and_then(Value::as_str) {
                Some("text") => return Ok(json!({"text": p.get("text").and_then(Value::as_str).unwrap_or("")})),
                Some("image_url") => p.pointer("/image_url/url"),
                Some("file") => p.pointer("/file/file_data"),
                _ => None,
            };
            let url = url.and_then(Value::as_str).ok_or_else(|| bad(ppath.clone(), format!("{ppath} is not a part Gemini can take (text, an image, or file data)")))?;
            let (mime, data) = url
                .strip_prefix("data:")
                .and_then(|rest| rest.split_once(";base64,"))
                .ok_or_else(|| bad(ppath.clone(), format!("{ppath}: Gemini takes images as data: URLs (base64), not links")))?;
            Ok(json!({"inlineData": {"mimeType": mime, "data": data}}))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn a_function_conversation_goes_in_and_back_out() {
        let gemini = obj(json!({
            "systemInstruction": {"parts": [{"text": "Be brief."}]},
            "contents": [
                {"role": "user", "parts": [{"text": "Weather?"}, {"inlineData": {"mimeType": "image/png", "data": "iVBO"}}]},
                {"role": "model", "parts": [{"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}, "thoughtSignature": "c2ln"}]},
                {"role": "user", "parts": [{"functionResponse": {"name": "get_weather", "response": {"sky": "clear"}}}]}
            ],
            "tools": [{"functionDeclarations": [{"name": "get_weather", "description": "W", "parameters": {"type": "OBJECT", "properties": {"city": {"type": "STRING"}}}}]}],
            "toolConfig": {"functionCallingConfig": {"mode": "ANY"}},
            "generationConfig": {"temperature": 0.2, "maxOutputTokens": 50, "stopSequences": ["END"], "thinkingConfig": {"thinkingBudget": 0}}
        }));
        let internal = to_internal(&gemini, "gemini-2.5-flash").unwrap();
        assert!(internal.untranslatable.is_empty(), "{:?}", internal.untranslatable);
        let b = &internal.body;
        assert_eq!(b["messages"][0], json!({"role": "system", "content": "Be brief."}));
        assert_eq!(b["messages"][1]["content"][1]["image_url"]["url"], "data:image/png;base64,iVBO");
        assert_eq!(b["messages"][2]["tool_calls"][0]["id"], "call_0_get_weather");
        assert_eq!(b["messages"][2]["tool_calls"][0]["thought_signature"], "c2ln");
        assert_eq!(b["messages"][3], json!({"role": "tool", "tool_call_id": "call_0_get_weather", "content": "{\"sky\":\"clear\"}"}));
        assert_eq!(b["tools"][0]["function"]["parameters"]["properties"]["city"]["type"], "string");
        assert_eq!((&b["tool_choice"], &b["max_tokens"], &b["stop"]), (&json!("required"), &json!(50), &json!(["END"])));
        assert!(b.contains_key("thinkingConfig"), "a wish stays for the cache key");

        let mut translatable = b.clone();
        translatable.remove("thinkingConfig");
        let back = from_internal(&translatable).unwrap();
        assert_eq!(back["systemInstruction"], gemini["systemInstruction"]);
        assert_eq!(back["contents"][1], gemini["contents"][1], "the signature goes back untouched");
        assert_eq!(back["contents"][2], gemini["contents"][2]);
        assert_eq!(back["contents"][0]["parts"][1], gemini["contents"][0]["parts"][1]);
        assert_eq!(back["generationConfig"], json!({"temperature": 0.2, "maxOutputTokens": 50, "stopSequences": ["END"]}));
    }

    #[test]
    fn what_only_gemini_can_do_is_named_and_bad_fields_refused() {
        let req = obj(json!({"contents": [{"role": "user", "parts": [{"fileData": {"fileUri": "files/x"}}]}], "tools": [{"googleSearch": {}}],
            "generationConfig": {"topK": 3, "responseLogprobs": true}, "cachedContent": "c/1"}));
        let mut names = to_internal(&req, "m").unwrap().untranslatable;
        names.sort();
        assert_eq!(names, ["cachedContent", "contents[0].parts[0]", "generationConfig.responseLogprobs", "tools[0] (googleSearch)"]);
        let err = |v: Value| to_internal(&obj(v), "m").err().unwrap().path;
        assert_eq!(err(json!({})), "contents");
        assert_eq!(err(json!({"contents": [{"role": "robot", "parts": []}]})), "contents[0].role");
        assert_eq!(err(json!({"contents": [{"role": "user", "parts": [{"functionResponse": {"name": "f", "response": {}}}]}]})), "contents[0].parts[0].functionResponse.name");
        assert_eq!(from_internal(&obj(json!({"messages": [], "logit_bias": {"1": 1}}))).unwrap_err().path, "logit_bias");
    }
}
