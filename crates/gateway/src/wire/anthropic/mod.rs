//! Anthropic's Messages API (`/v1/messages`) and how it maps onto the internal form (OpenAI
//! chat): requests both ways, whole answers both ways, and streams event by event both ways.
//! The provider adapter and the `/v1/messages` endpoint both use these; neither knows the other.

pub mod message;
pub mod request;
pub mod stream;
