//! What `heapsight --version` and Help → About say: the crate version, the commit it was
//! built from (recorded by `build.rs`, `unknown` outside a git checkout) and the DevTools
//! version whose heap-snapshot worker the golden tests check heapsight's numbers against.

/// The DevTools version as a literal, so that `concat!` can use it.
macro_rules! devtools_frontend {
    () => {
        "1.0.1705227"
    };
}

/// The crate version, from `Cargo.toml`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The commit built from (12 hex digits), or `unknown`.
pub const COMMIT: &str = env!("HEAPSIGHT_COMMIT");

/// The `chrome-devtools-frontend` package whose heap-snapshot worker computed the goldens in
/// `tests/fixtures/goldens/` (their `devtoolsFrontendVersion`).
pub const DEVTOOLS_FRONTEND: &str = devtools_frontend!();

/// `-V`: the version and the commit, e.g. `0.1.0 (3a2925b1c2d3)`.
pub const SHORT: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("HEAPSIGHT_COMMIT"),
    ")"
);

/// `--version`: the version, then a line each for the commit and the DevTools version.
pub const LONG: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    "\ncommit ",
    env!("HEAPSIGHT_COMMIT"),
    "\nnumbers checked against chrome-devtools-frontend ",
    devtools_frontend!(),
);

/// The About window's lines: (label, value).
pub fn about_lines() -> [(&'static str, &'static str); 3] {
    [
        ("Version", VERSION),
        ("Commit", COMMIT),
        (
            "Checked against",
            concat!("chrome-devtools-frontend ", devtools_frontend!()),
        ),
    ]
}
