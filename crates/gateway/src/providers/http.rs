//! What every adapter does the same way over HTTP: attach the key, turn a failed answer into a
//! `ProviderError` (body capped, key redacted), and read a server-sent-event stream into frames
//! with the adapter's own decoder.

use super::{Frame, FrameStream, ProviderError};
use crate::secrets::Secret;
use crate::wire::{SseDecoder, SseEvent};
use bytes::Bytes;
use futures::StreamExt;
use std::collections::VecDeque;

/// Upstream error bodies kept for the client are capped: they are meant to be read, not stored.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// The largest answer (a whole body, or one event of a stream) read from an upstream. Chat
/// answers are kilobytes, with images a few megabytes; a body past this is a broken or hostile
/// upstream, and reading on would hold it all in memory (and in the cache).
const MAX_ANSWER_BYTES: usize = 64 << 20;
const MAX_EVENT_BYTES: usize = 16 << 20;

/// A non-streamed answer whose body stops arriving for this long is given up on (the first
/// byte has its own timeout, the route's).
const BODY_SILENCE: std::time::Duration = std::time::Duration::from_secs(120);

/// One configured provider's identity, key and connection pool.
pub struct Upstream {
    pub id: String,
    pub key: Option<Secret>,
    /// Said when a call needs a key and there is none.
    pub missing_key_hint: Option<String>,
    /// Shared; a serving thread's own pool is used instead (`server::pool`).
    pub client: reqwest::Client,
}

impl Upstream {
    /// The client to call with: the serving thread's own, so the connection an answer comes
    /// back on wakes the thread that waits for it.
    pub fn client(&self) -> reqwest::Client {
        crate::server::pool::local().unwrap_or_else(|| self.client.clone())
    }

    /// Sends with `auth` applied to the key (each API family has its own header), and turns
    /// any non-2xx answer into `ProviderError::Status`.
    pub async fn send(&self, request: reqwest::RequestBuilder, auth: impl FnOnce(reqwest::RequestBuilder, &str) -> reqwest::RequestBuilder) -> Result<reqwest::Response, ProviderError> {
        if let Some(hint) = &self.missing_key_hint {
            return Err(ProviderError::MissingKey { provider: self.id.clone(), hint: hint.clone() });
        }
        let request = match &self.key {
            Some(key) => auth(request, key.expose()),
            None => request,
        };
        let response = request.send().await.map_err(|e| ProviderError::Connect { provider: self.id.clone(), detail: describe(&e) })?;
        if response.status().is_success() {
            return Ok(response);
        }
        let status = response.status().as_u16();
        let retry_after = response.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(super::parse_retry_after);
        let mut body = Vec::new();
        let mut stream = response.bytes_stream();
        while let Some(Ok(piece)) = stream.next().await {
            body.extend_from_slice(&piece);
            if body.len() > MAX_ERROR_BODY {
                body.truncate(MAX_ERROR_BODY);
                break;
            }
        }
        let text = String::from_utf8_lossy(&body);
        let body = Bytes::from(match &self.key {
            Some(key) => key.redact(&text),
            None => text.into_owned(),
        });
        Err(ProviderError::Status { provider: self.id.clone(), status, body, retry_after })
    }

    /// A non-streamed answer's body, within `MAX_ANSWER_BYTES` and `BODY_SILENCE`.
    pub async fn read_answer(&self, response: reqwest::Response) -> Result<Bytes, ProviderError> {
        let mut body = bytes::BytesMut::new();
        let mut stream = response.bytes_stream();
        loop {
            let piece = match tokio::time::timeout(BODY_SILENCE, stream.next()).await {
                Err(_) => return Err(self.stopped(format!("the answer stopped arriving for {} s", BODY_SILENCE.as_secs()))),
                Ok(None) => return Ok(body.freeze()),
                Ok(Some(piece)) => piece.map_err(|e| self.cut(&e))?,
            };
            if body.len() + piece.len() > MAX_ANSWER_BYTES {
                return Err(self.stopped(format!("the answer is over {} MiB; Sluice stopped reading it", MAX_ANSWER_BYTES >> 20)));
            }
            body.extend_from_slice(&piece);
        }
    }

    fn stopped(&self, detail: String) -> ProviderError {
        ProviderError::StreamCut { provider: self.id.clone(), detail }
    }

    pub fn cut(&self, e: &reqwest::Error) -> ProviderError {
        ProviderError::StreamCut { provider: self.id.clone(), detail: describe(e) }
    }

    pub fn protocol(&self, detail: impl Into<String>) -> ProviderError {
        ProviderError::Protocol { provider: self.id.clone(), detail: detail.into() }
    }
}

/// reqwest's Display repeats the URL; the cause chain says what actually went wrong.
pub fn describe(e: &reqwest::Error) -> String {
    let mut text = if e.is_connect() { "connection failed".to_owned() } else if e.is_timeout() { "timed out".to_owned() } else { "request failed".to_owned() };
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// What one upstream event means to the stream.
pub enum Step {
    Frame(Frame),
    /// The answer is complete; the frame, if any, is the event that said so.
    Done(Option<Frame>),
    /// The upstream reported an error in the stream.
    Error(String),
}

/// Reads an SSE response into frames. The stream ends cleanly only when `decode` says `Done`;
/// an upstream that closes before that, or reports an error, yields an error item.
pub fn sse_frames(provider: String, response: reqwest::Response, decode: impl FnMut(SseEvent) -> Step + Send + 'static) -> FrameStream {
    struct State<D> {
        body: futures::stream::BoxStream<'static, reqwest::Result<Bytes>>,
        decoder: SseDecoder,
        decode: D,
        pending: VecDeque<Result<Frame, ProviderError>>,
        /// Nothing more is read once the end, an error, or the close arrived.
        finished: bool,
        provider: String,
    }
    impl<D: FnMut(SseEvent) -> Step> State<D> {
        fn cut(&self, detail: String) -> ProviderError {
            ProviderError::StreamCut { provider: self.provider.clone(), detail }
        }
        fn take(&mut self, event: SseEvent) {
            match (self.decode)(event) {
                Step::Frame(f) => self.pending.push_back(Ok(f)),
                Step::Done(f) => {
                    self.pending.extend(f.map(|f| Ok(Frame { ends: true, ..f })));
                    self.finished = true;
                }
                Step::Error(detail) => {
                    let e = self.cut(format!("upstream error event: {detail}"));
                    self.pending.push_back(Err(e));
                    self.finished = true;
                }
            }
        }
    }
    let state = State { body: response.bytes_stream().boxed(), decoder: SseDecoder::default(), decode, pending: VecDeque::new(), finished: false, provider };
    futures::stream::unfold(state, |mut s| async move {
        loop {
            if let Some(item) = s.pending.pop_front() {
                return Some((item, s));
            }
            if s.finished {
                return None;
            }
            match s.body.next().await {
                Some(Ok(bytes)) => {
                    for event in s.decoder.push(&bytes) {
                        if !s.finished {
                            s.take(event);
                        }
                    }
                    if !s.finished && s.decoder.pending() > MAX_EVENT_BYTES {
                        let e = s.cut(format!("an event over {} MiB; Sluice stopped reading the stream", MAX_EVENT_BYTES >> 20));
                        s.pending.push_back(Err(e));
                        s.finished = true;
                    }
                }
                Some(Err(e)) => {
                    let e = s.cut(describe(&e));
                    s.pending.push_back(Err(e));
                    s.finished = true;
                }
                None => {
                    if let Some(event) = s.decoder.finish() {
                        s.take(event);
                    }
                    if !s.finished {
                        let e = s.cut("the connection closed before the answer ended".into());
                        s.pending.push_back(Err(e));
                        s.finished = true;
                    }
                }
            }
        }
    })
    .boxed()
}
