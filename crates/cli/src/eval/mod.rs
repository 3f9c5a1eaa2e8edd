//! `sluice eval …`: Sluice's decisions measured on labelled data, with the live path's code.

pub mod cache;
pub mod compress;
pub mod prompts;
pub mod quality;
pub mod route;
