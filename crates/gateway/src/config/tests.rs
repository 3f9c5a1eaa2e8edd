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

const PROVIDERS: &str = "[[providers]]\nid = \"openai\"\n[[providers]]\nid = \"groq\"\n";

#[test]
fn rules_parse_and_read_back() {
    let c = Config::parse_toml(&format!(
        r#"{PROVIDERS}
        [[intents]]
        name = "code"
        examples = ["write a function", "fix this bug"]

        [[budgets]]
        name = "daily"
        usd = 5
        period = "day"

        [[rules]]
        name = "hard"
        when = {{ model = "auto", difficulty = {{ min = 0.7 }}, any = [{{ tags = ["important"] }}, {{ intent = "code" }}] }}
        then = {{ targets = ["openai/gpt-4.1"], max_tokens = 2000, tags = ["strong"] }}

        [[rules]]
        name = "cheap"
        [rules.when]
        model = "auto"
        budget = {{ name = "daily", max = 0.9 }}
        time = {{ from = "22:00", to = "06:00" }}
        text = {{ contains = ["translate"], regex = "(?i)summar", in = "any" }}
        [rules.then]
        targets = ["groq/llama-3.1-8b-instant"]
        cache = {{ ttl_secs = 60 }}
        "#
    ))
    .unwrap();
    assert_eq!(c.rules.len(), 2);
    assert_eq!(c.rules[0].when.any.len(), 2);
    assert_eq!(Config::parse_toml(&c.to_toml()).unwrap(), c, "what we write reads back the same");
}

#[test]
fn bad_rules_are_refused_naming_the_field() {
    let rule = |when: &str, then: &str| error_of(&format!("{PROVIDERS}[[budgets]]\nname = \"b\"\nusd = 1\nperiod = \"day\"\n[[rules]]\nname = \"r\"\nwhen = {{ {when} }}\nthen = {{ {then} }}\n"));
    let e = rule("text = { regex = \"(unclosed\" }", "");
    assert_eq!(e.field, "rules[0].when.text.regex");
    assert!(e.message.contains("does not compile"), "{e}");
    let e = rule("model = \"x\"", "targets = [\"nowhere/m\"]");
    assert_eq!(e.field, "rules[0].then.targets[0]");
    let e = rule("input_tokens = { min = 500, max = 100 }", "");
    assert_eq!(e.field, "rules[0].when.input_tokens");
    assert!(e.message.contains("never match"), "{e}");
    let e = rule("all = [{ difficulty = { min = 1.5 } }]", "");
    assert_eq!(e.field, "rules[0].when.all[0].difficulty");
    let e = rule("intent = \"code\"", "");
    assert_eq!(e.field, "rules[0].when.intent");
    let e = rule("time = { from = \"25:00\", to = \"06:00\" }", "");
    assert_eq!(e.field, "rules[0].when.time.from");
    let e = rule("model = \"x\"", "reject = \"no\", targets = [\"openai/m\"]");
    assert_eq!(e.field, "rules[0].then.reject");
    let e = rule("client_api = \"soap\"", "");
    assert_eq!(e.field, "rules[0].when.client_api");
    let e = error_of(&format!("{PROVIDERS}[[rules]]\nname = \"all\"\n[[rules]]\nname = \"later\"\nwhen = {{ model = \"x\" }}\n"));
    assert_eq!(e.field, "rules[1].when");
    assert!(e.message.contains("can never match") && e.message.contains("`all`"), "{e}");
    let e = error_of(&format!("{PROVIDERS}[[budgets]]\nname = \"b\"\nusd = -1\nperiod = \"month\"\n"));
    assert_eq!(e.field, "budgets[0].usd");
    let e = error_of(&format!("{PROVIDERS}[[budgets]]\nname = \"b\"\nusd = 1\nperiod = \"day\"\non_exceed = \"fall-through\"\n"));
    assert_eq!(e.field, "budgets[0].on_exceed");
    let e = error_of(&format!("{PROVIDERS}[[budgets]]\nname = \"b\"\nusd = 1\nperiod = \"day\"\nrule = \"nope\"\n"));
    assert_eq!(e.field, "budgets[0].rule");
}

#[test]
fn a_catch_all_with_a_fall_through_budget_can_be_passed_over() {
    let ok = Config::parse_toml(&format!(
        "{PROVIDERS}[[budgets]]\nname = \"b\"\nusd = 1\nperiod = \"day\"\nrule = \"all\"\non_exceed = \"fall-through\"\n[[rules]]\nname = \"all\"\n[[rules]]\nname = \"later\"\n"
    ));
    assert!(ok.is_ok(), "{ok:?}");
}

#[test]
fn saving_keeps_comments_and_order() {
    let text = format!(
        "# my providers\n{PROVIDERS}\n# the expensive one, only when needed\n[[rules]]\nname = \"hard\"\nwhen = {{ model = \"auto\", difficulty = {{ min = 0.8 }} }}  # tuned by hand\nthen = {{ targets = [\"openai/gpt-4.1\"] }}\n\n# everything else\n[[rules]]\nname = \"cheap\"\nwhen = {{ model = \"auto\" }}\nthen = {{ targets = [\"groq/llama\"] }}\n"
    );
    let mut c = Config::parse_toml(&text).unwrap();
    c.rules.swap(0, 1);
    c.rules[0].then.max_tokens = Some(500);
    let saved = edit_in_place(&text, &c);
    assert_eq!(Config::parse_toml(&saved).unwrap(), c, "{saved}");
    for kept in ["# my providers", "# the expensive one, only when needed", "# tuned by hand", "# everything else"] {
        assert!(saved.contains(kept), "lost {kept:?}:\n{saved}");
    }
    assert!(saved.find("name = \"cheap\"").unwrap() < saved.find("name = \"hard\"").unwrap(), "the new order:\n{saved}");
    assert!(saved.find("# everything else").unwrap() < saved.find("name = \"cheap\"").unwrap(), "comments move with their rule:\n{saved}");
}
