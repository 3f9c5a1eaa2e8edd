//! Known providers: where their API lives and which env var conventionally holds the key.

use super::ProviderKind;

#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Preset {
    pub id: &'static str,
    pub name: &'static str,
    pub kind: ProviderKind,
    pub base_url: &'static str,
    pub key_env: Option<&'static str>,
    /// Another env var some users keep the key in (Google's SDKs read `GOOGLE_API_KEY`).
    pub alt_key_env: Option<&'static str>,
}

const fn compatible(id: &'static str, name: &'static str, base_url: &'static str, key_env: Option<&'static str>) -> Preset {
    Preset { id, name, kind: ProviderKind::OpenaiCompatible, base_url, key_env, alt_key_env: None }
}

pub const PRESETS: &[Preset] = &[
    Preset { id: "openai", name: "OpenAI", kind: ProviderKind::Openai, base_url: "https://api.openai.com/v1", key_env: Some("OPENAI_API_KEY"), alt_key_env: None },
    Preset { id: "anthropic", name: "Anthropic", kind: ProviderKind::Anthropic, base_url: "https://api.anthropic.com/v1", key_env: Some("ANTHROPIC_API_KEY"), alt_key_env: None },
    Preset {
        id: "gemini",
        name: "Google Gemini",
        kind: ProviderKind::Gemini,
        base_url: "https://generativelanguage.googleapis.com/v1beta",
        key_env: Some("GEMINI_API_KEY"),
        alt_key_env: Some("GOOGLE_API_KEY"),
    },
    compatible("groq", "Groq", "https://api.groq.com/openai/v1", Some("GROQ_API_KEY")),
    compatible("mistral", "Mistral", "https://api.mistral.ai/v1", Some("MISTRAL_API_KEY")),
    compatible("deepseek", "DeepSeek", "https://api.deepseek.com/v1", Some("DEEPSEEK_API_KEY")),
    compatible("together", "Together AI", "https://api.together.xyz/v1", Some("TOGETHER_API_KEY")),
    compatible("fireworks", "Fireworks AI", "https://api.fireworks.ai/inference/v1", Some("FIREWORKS_API_KEY")),
    compatible("openrouter", "OpenRouter", "https://openrouter.ai/api/v1", Some("OPENROUTER_API_KEY")),
    compatible("xai", "xAI", "https://api.x.ai/v1", Some("XAI_API_KEY")),
    compatible("ollama", "Ollama", "http://127.0.0.1:11434/v1", None),
    compatible("lmstudio", "LM Studio", "http://127.0.0.1:1234/v1", None),
];

pub fn preset(id: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.id == id)
}
