//! The exact-cache key: a hash of everything that decides the answer.
//!
//! Everything in the request counts except fields known not to change the answer: `stream`
//! and `stream_options` (a hit replays either way), and `user`, `metadata`, `store`,
//! `service_tier`, `prompt_cache_key`, `safety_identifier` and `client_metadata` (bookkeeping;
//! Codex sends per-turn ids in the last). Unknown fields
//! count, so a new parameter can never make two different requests collide. Object keys are
//! hashed in sorted order, so field order does not matter.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

const IGNORED: &[&str] = &["stream", "stream_options", "user", "metadata", "store", "service_tier", "prompt_cache_key", "safety_identifier", "client_metadata"];

/// `route_identity` names what the model string resolved to (a route and its targets, or a
/// provider/model), so editing a route never serves answers from its old targets.
pub fn cache_key(route_identity: &str, body: &Map<String, Value>) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"sluice-exact-v1\0");
    h.update(route_identity.as_bytes());
    h.update(b"\0");
    let mut keys: Vec<&String> = body.keys().filter(|k| !IGNORED.contains(&k.as_str())).collect();
    keys.sort();
    for k in keys {
        hash_str(&mut h, k);
        hash_value(&mut h, &body[k]);
    }
    h.finalize().into()
}

fn hash_str(h: &mut Sha256, s: &str) {
    h.update((s.len() as u64).to_le_bytes());
    h.update(s.as_bytes());
}

fn hash_value(h: &mut Sha256, v: &Value) {
    match v {
        Value::Null => h.update(b"n"),
        Value::Bool(b) => h.update(if *b { b"t" } else { b"f" }),
        Value::Number(n) => {
            h.update(b"#");
            // 1 and 1.0 ask for the same thing.
            match n.as_f64() {
                Some(f) => h.update(f.to_bits().to_le_bytes()),
                None => hash_str(h, &n.to_string()),
            }
        }
        Value::String(s) => {
            h.update(b"s");
            hash_str(h, s);
        }
        Value::Array(items) => {
            h.update(b"[");
            h.update((items.len() as u64).to_le_bytes());
            items.iter().for_each(|i| hash_value(h, i));
        }
        Value::Object(map) => {
            h.update(b"{");
            h.update((map.len() as u64).to_le_bytes());
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            for k in keys {
                hash_str(h, k);
                hash_value(h, &map[k]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key(v: Value) -> [u8; 32] {
        cache_key("r", v.as_object().unwrap())
    }

    #[test]
    fn what_counts_and_what_does_not() {
        let base = key(json!({"model": "m", "messages": [{"role": "user", "content": "hi"}], "temperature": 0}));
        assert_eq!(base, key(json!({"temperature": 0.0, "messages": [{"content": "hi", "role": "user"}], "model": "m", "stream": true, "user": "u1"})));
        assert_ne!(base, key(json!({"model": "m", "messages": [{"role": "user", "content": "hi!"}], "temperature": 0})));
        assert_ne!(base, key(json!({"model": "m", "messages": [{"role": "user", "content": "hi"}], "temperature": 0, "tools": []})));
        assert_ne!(base, key(json!({"model": "m", "messages": [{"role": "user", "content": "hi"}], "temperature": 0, "new_param": 1})));
        assert_ne!(base, cache_key("other-route", json!({"model": "m", "messages": [{"role": "user", "content": "hi"}], "temperature": 0}).as_object().unwrap()));
        // Strings cannot run into each other.
        assert_ne!(key(json!({"a": "bc", "d": ""})), key(json!({"a": "b", "d": "c"})));
    }
}
