//! Records the commit heapsight is built from, for `--version` and Help → About.
//!
//! Sets `HEAPSIGHT_COMMIT` for the crate: the environment variable of that name if the build
//! has one (packagers building from a tarball), else the checkout's `HEAD` (12 hex digits),
//! else `unknown` (no `.git`, e.g. `cargo install` from a tarball, or no `git` program). A
//! tarball unpacked inside some other repository does not take that repository's commit: the
//! checkout must have this crate at its top.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=HEAPSIGHT_COMMIT");
    let commit = std::env::var("HEAPSIGHT_COMMIT")
        .ok()
        .filter(|c| !c.trim().is_empty())
        .or_else(git_commit)
        .unwrap_or_else(|| "unknown".to_owned());
    println!("cargo::rustc-env=HEAPSIGHT_COMMIT={}", commit.trim());
}

/// `HEAD` of the checkout whose top is this crate, and rebuild triggers for when it moves.
fn git_commit() -> Option<String> {
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR")?);
    let top = git(&manifest_dir, &["rev-parse", "--show-toplevel"])?;
    if std::fs::canonicalize(&top).ok()? != std::fs::canonicalize(&manifest_dir).ok()? {
        return None;
    }
    // Rebuild when HEAD moves: a checkout or commit changes HEAD, the branch's ref (loose or
    // packed) and HEAD's reflog.
    let mut watched = vec![
        "HEAD".to_owned(),
        "logs/HEAD".to_owned(),
        "packed-refs".to_owned(),
    ];
    if let Some(branch) = git(&manifest_dir, &["symbolic-ref", "-q", "HEAD"]) {
        watched.push(branch);
    }
    for name in watched {
        if let Some(path) = git(&manifest_dir, &["rev-parse", "--git-path", &name]) {
            let path = manifest_dir.join(path);
            // A watched path that does not exist would rerun this script on every build.
            if path.exists() {
                println!("cargo::rerun-if-changed={}", path.display());
            }
        }
    }
    git(&manifest_dir, &["rev-parse", "--short=12", "HEAD"])
}

/// Runs `git ARGS` in `dir`; its trimmed output, or `None` if git is missing or fails.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (!text.is_empty()).then_some(text)
}
