//! Panic messages with keys taken out. A panic prints its message to stderr (and the desktop
//! app's log); a message that formatted a request or a header with a key in it would leak it.
//! Every live `Secret` is known here, and the hook replaces each in the message before it is
//! printed in place of Rust's own hook.

use std::sync::{Arc, Mutex, Once, Weak};

static LIVE: Mutex<Vec<Weak<str>>> = Mutex::new(Vec::new());

/// Remembers a key's text so panic messages can leave it out.
pub(super) fn track(key: &Arc<str>) {
    let mut live = LIVE.lock().unwrap_or_else(|e| e.into_inner());
    live.retain(|w| w.strong_count() > 0);
    live.push(Arc::downgrade(key));
}

/// `text` with every live key replaced.
pub fn redact_all(text: &str) -> String {
    let live = LIVE.lock().unwrap_or_else(|e| e.into_inner());
    live.iter().filter_map(Weak::upgrade).filter(|k| k.len() >= 8).fold(text.to_owned(), |t, k| t.replace(&*k, "[redacted]"))
}

/// Prints panics (once installed, for the whole process) with keys taken out.
pub fn install_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            eprintln!("{}", describe(info));
            // As Rust's own hook does, when RUST_BACKTRACE asks for it.
            let trace = std::backtrace::Backtrace::capture();
            if trace.status() == std::backtrace::BacktraceStatus::Captured {
                eprintln!("{}", redact_all(&trace.to_string()));
            }
        }))
    });
}

fn describe(info: &std::panic::PanicHookInfo) -> String {
    let payload = info.payload();
    let message = payload.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| payload.downcast_ref::<String>().cloned()).unwrap_or_else(|| "a panic without a message".into());
    let thread = std::thread::current();
    let place = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
    redact_all(&format!("thread '{}' panicked{place}:\n{message}", thread.name().unwrap_or("<unnamed>")))
}

#[cfg(test)]
mod tests {
    use super::super::Secret;
    use super::*;

    #[test]
    fn live_keys_leave_panic_text_and_dropped_ones_are_forgotten() {
        let key = Secret::new("sk-live-0123456789abcdef");
        let short = Secret::new("abc");
        let text = format!("request failed: Authorization: Bearer {} / {}", key.expose(), short.expose());
        assert_eq!(redact_all(&text), "request failed: Authorization: Bearer [redacted] / abc");
        let copy = key.clone();
        drop(key);
        assert!(redact_all(copy.expose()).contains("[redacted]"), "a clone keeps it live");
        drop(copy);
        assert_eq!(redact_all("sk-live-0123456789abcdef"), "sk-live-0123456789abcdef");
    }

    #[test]
    fn a_panic_message_is_printed_without_the_key() {
        static SEEN: Mutex<String> = Mutex::new(String::new());
        let key = Secret::new("sk-panic-0123456789abcdef");
        let before = std::panic::take_hook();
        std::panic::set_hook(Box::new(|info| *SEEN.lock().unwrap() = describe(info)));
        let caught = std::panic::catch_unwind(|| panic!("upstream said: invalid key {}", key.expose()));
        std::panic::set_hook(before);
        assert!(caught.is_err());
        let seen = SEEN.lock().unwrap().clone();
        assert!(seen.contains("panicked at") && seen.ends_with("upstream said: invalid key [redacted]"), "{seen}");
    }
}
