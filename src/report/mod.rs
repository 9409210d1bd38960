//! Reports about policies, as data (serde) and as human text. Renderers never print; the CLI
//! chooses where output goes.

pub mod info;
