//! The rule packs shipped in `rules/`, compiled into the binary so that `cipolicy build` works
//! from any folder.

/// `(name, spec text)` of every built-in pack, by name.
pub const PACKS: &[(&str, &str)] = &[
    ("allow-microsoft", include_str!("../../rules/allow-microsoft.toml")),
    ("default-windows", include_str!("../../rules/default-windows.toml")),
    (
        "restrict-app-execution",
        include_str!("../../rules/restrict-app-execution.toml"),
    ),
    (
        "supplemental-example",
        include_str!("../../rules/supplemental-example.toml"),
    ),
];

/// The text of a built-in pack.
pub fn pack(name: &str) -> Option<&'static str> {
    PACKS.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}
