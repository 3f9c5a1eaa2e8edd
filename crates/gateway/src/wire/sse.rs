//! Server-sent events: an incremental decoder for upstream streams and the encoder we write.

use bytes::{BufMut, Bytes, BytesMut};

#[derive(Debug, Clone, PartialEq)]
pub struct SseEvent {
    pub event: Option<String>,
    pub data: String,
}

/// Decodes SSE from byte chunks that may split lines and events anywhere.
#[derive(Default)]
pub struct SseDecoder {
    buf: BytesMut,
    event: Option<String>,
    data: Option<String>,
}

impl SseDecoder {
    /// Feeds bytes; returns every event completed by them.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<SseEvent> {
        self.buf.extend_from_slice(bytes);
        let mut out = Vec::new();
        while let Some(nl) = self.buf.iter().position(|&b| b == b'\n') {
            let line = self.buf.split_to(nl + 1);
            let line = line.strip_suffix(b"\n").unwrap_or(&line);
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            self.line(&String::from_utf8_lossy(line), &mut out);
        }
        out
    }

    /// Bytes of the event being read: the unfinished line and the data lines so far.
    pub fn pending(&self) -> usize {
        self.buf.len() + self.data.as_ref().map_or(0, String::len)
    }

    /// Flushes an event left open by a stream that ended without a blank line.
    pub fn finish(&mut self) -> Option<SseEvent> {
        if !self.buf.is_empty() {
            let rest = String::from_utf8_lossy(&self.buf.split()).into_owned();
            let mut out = Vec::new();
            self.line(&rest, &mut out);
            if let Some(e) = out.pop() {
                return Some(e);
            }
        }
        self.data.take().map(|data| SseEvent { event: self.event.take(), data })
    }

    fn line(&mut self, line: &str, out: &mut Vec<SseEvent>) {
        if line.is_empty() {
            if let Some(data) = self.data.take() {
                out.push(SseEvent { event: self.event.take(), data });
            }
            self.event = None;
            return;
        }
        if line.starts_with(':') {
            return;
        }
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "data" => match &mut self.data {
                Some(d) => {
                    d.push('\n');
                    d.push_str(value);
                }
                None => self.data = Some(value.to_owned()),
            },
            "event" => self.event = Some(value.to_owned()),
            _ => {}
        }
    }
}

pub const SSE_DONE: &[u8] = b"data: [DONE]\n\n";

/// One event with its `event:` line (Anthropic's and the Responses API's streams name each).
pub fn sse_event(out: &mut BytesMut, name: &str, data: &impl serde::Serialize) {
    out.put_slice(b"event: ");
    out.put_slice(name.as_bytes());
    out.put_slice(b"\ndata: ");
    serde_json::to_writer((&mut *out).writer(), data).expect("writing JSON to memory");
    out.put_slice(b"\n\n");
}

/// One `data:` event around a JSON payload (which never holds a raw newline).
pub fn sse_data(json: &[u8]) -> Bytes {
    let mut out = BytesMut::with_capacity(json.len() + 8);
    out.extend_from_slice(b"data: ");
    out.extend_from_slice(json);
    out.extend_from_slice(b"\n\n");
    out.freeze()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_events_split_anywhere() {
        let stream = b": keep-alive\r\ndata: {\"a\":1}\r\n\r\nevent: ping\ndata: x\ndata: y\n\ndata: [DONE]\n\n";
        for split in 0..stream.len() {
            let mut d = SseDecoder::default();
            let mut events = d.push(&stream[..split]);
            events.extend(d.push(&stream[split..]));
            assert_eq!(
                events,
                vec![
                    SseEvent { event: None, data: "{\"a\":1}".into() },
                    SseEvent { event: Some("ping".into()), data: "x\ny".into() },
                    SseEvent { event: None, data: "[DONE]".into() },
                ],
                "split at {split}"
            );
        }
    }

    #[test]
    fn finish_flushes_an_unterminated_event() {
        let mut d = SseDecoder::default();
        assert!(d.push(b"data: tail").is_empty());
        assert_eq!(d.finish(), Some(SseEvent { event: None, data: "tail".into() }));
    }
}
