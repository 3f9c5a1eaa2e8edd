//! Google's Gemini API (`generateContent`, `streamGenerateContent?alt=sse`) and how it maps onto
//! the internal form (OpenAI chat): requests both ways, whole answers and streams both ways.
//! The provider adapter and the `/v1beta/models/…` endpoints both use these.

pub mod request;
pub mod response;
