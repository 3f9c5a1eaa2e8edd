//! The OpenAI wire format, which is Sluice's internal lingua franca: every provider adapter
//! speaks it to the rest of the engine. Parsing and writing SSE, folding a stream of chunks
//! into one completion, unfolding a completion into chunks, and reading `usage`.

mod accumulate;
mod replay;
mod sse;
mod usage;

pub use accumulate::ChunkAccumulator;
pub use replay::completion_to_chunks;
pub use sse::{sse_data, SseDecoder, SseEvent, SSE_DONE};
pub use usage::Usage;
