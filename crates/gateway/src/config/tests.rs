use super::*;

#[test]
fn the_design_example_parses() {
    let c = Config::parse_toml(
        r#"
        [server]
        listen = "127.0.0.1:8990"

        [[providers]]
        id = "openai"
        kind = "openai"
        base_url = "https://api.openai.com/v1"
        api_key_env = "OPENAI_API_KEY"

        [[providers]]
        id = "groq"

        [[routes]]
        model = "fast"
        targets = ["groq/llama-3.1-8b-instant", "openai/gpt-4o-mini"]
        timeout_secs = 30

        [[prices]]
        model = "openai/gpt-4o-mini"
        input = 0.15
        output = 0.60
        cached_input = 0.075

        [cache]
        exact = true
        semantic = true
        ttl_secs = 0
        "#,
    )
    .unwrap();
    assert_eq!(c.routes[0].targets.len(), 2);
    assert_eq!(Config::parse_toml(&c.to_toml()).unwrap(), c, "what we write reads back the same");
}

fn error_of(toml: &str) -> FieldError {
    Config::parse_toml(toml).unwrap_err()
}

#[test]
fn errors_name_the_field() {
    let e = error_of("[server]\nlisten = 5\n");
    assert_eq!(e.field, "[server] listen (line 2)");
    let e = error_of("[server]\nlisten = \"nowhere\"\n");
    assert!(e.field.contains("listen"), "{e}");
    let e = error_of("[cache]\nexactt = true\n");
    assert!(e.message.contains("exactt"), "{e}");
    let e = error_of("[[providers]]\nid = \"mine\"\n");
    assert_eq!(e.field, "providers[0].base_url");
    let e = error_of("[[providers]]\nid = \"openai\"\n[[routes]]\nmodel = \"x\"\ntargets = [\"groq/llama\"]\n");
    assert_eq!(e.field, "routes[0].targets[0]");
    assert!(e.message.contains("unknown provider `groq`"), "{e}");
    let e = error_of("[[providers]]\nid = \"openai\"\napi_key_env = \"sk-abc123\"\n");
    assert_eq!(e.field, "providers[0].api_key_env");
    let e = error_of("[[providers]]\nid = \"x\"\nbase_url = \"ftp://h\"\n");
    assert_eq!(e.field, "providers[0].base_url");
    let e = error_of("[[prices]]\nmodel = \"m\"\ninput = -1\noutput = 1\n");
    assert_eq!(e.field, "prices[0].input");
}

#[test]
fn json_errors_carry_the_path() {
    let e = Config::parse_json(br#"{"routes": [{"model": "x", "targets": "openai/y"}]}"#).unwrap_err();
    assert_eq!(e.field, "routes[0].targets");
    let e = Config::parse_json(br#"{"cache": {"ttl_secs": "soon"}}"#).unwrap_err();
    assert_eq!(e.field, "cache.ttl_secs");
}
