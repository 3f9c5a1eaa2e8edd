//! OpenAI's Responses API (`/v1/responses`), the stateless subset Codex CLI uses, and how it
//! maps onto the internal form (OpenAI chat): requests in, answers out (whole and streamed),
//! and OpenAI's own Responses answers back in for a passed-through request.

pub mod request;
pub mod response;
