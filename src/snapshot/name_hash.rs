//! Hashed names for `redact --hash-names`: the program's own class, property and function
//! names become keyed-hash tokens, while every name DevTools' analysis reads stays.
//!
//! # What is hashed, what is kept
//! A string-table entry is hashed when it is used as a name in a *program position* (the
//! name of an `object`, `closure` or `code` node, of a `property` or `context` edge, or a
//! function or script name of `trace_function_infos`) and nowhere else. An entry V8 also uses
//! structurally (an `internal`, `weak` or `shortcut` edge name, a `hidden`, `synthetic`,
//! `native`, `array` … node name) is kept everywhere, because the analysis compares such names
//! (`elements`, `value`, `first`/`second`, `sloppy_function_map`, `(map descriptors)`, …);
//! such a text is V8's vocabulary, not the program's. [`is_kept_name`] keeps, in addition,
//! names in parentheses or angle brackets (`(GC roots)`, `<symbol>`, `<div>`), `system / …`,
//! `Detached …`, `Node / …`, `global`/`Window` (and `global / …`), integer names, and the
//! JavaScript and Node.js built-ins the analysis and the leak doctor recognise (`Object`,
//! `Array`, `Map`, `Timeout`, `__proto__`, `_events`, …).
//!
//! The function names inside code names (`(code for f)`) and the names inside WeakMap
//! ephemeron edge names (`1 / part of key (K @3) -> value (V @5)
//! pair in WeakMap (table @7)`) are hashed the same way; the ids and the format that DevTools
//! parses are kept ([`code_for_part`], [`rewrite_weak_map_edge_name`]).
//!
//! # Tokens keep lengths and equality, nothing else
//! A token has the UTF-16 length of the name as DevTools formats it as a property
//! ([`format_property_name`]): DevTools stops adding properties to a `{a, b, …}` shape name at
//! 120 units, so shapes, and with them every Summary row, correspond 1:1 only when lengths are
//! kept. The name's ASCII digits stay in place and the other characters become letters and
//! `_` (CJK ideographs once the short codes run out), so a token is never quoted, never taken
//! for a kept name, and names that differ only in their numbers (`item17`, `item18`) still do:
//! the leak report groups retainer paths with digits folded. Equal names get equal tokens;
//! different names different tokens (collisions are resolved by probing, in sorted order, so
//! the result depends only on the key and the set of names).

//! # Why a keyed hash
//! An unkeyed hash (FNV, SHA) of a short name is reversed by hashing a dictionary of likely
//! names (`User`, `password`, `apiKey`): a class name has little entropy. Tokens are therefore
//! SipHash-2-4 under a 128-bit key: by default a random key per run (the tokens reveal only
//! lengths and equalities), or a key derived from a user-given secret ([`NameKey::from_secret`])
//! so that several snapshots of one process, redacted separately, still compare (keep the
//! secret private: with it, a dictionary attack works again).

use std::hash::{BuildHasher as _, Hasher as _};
use std::sync::OnceLock;

use foldhash::{HashMap, HashMapExt as _, HashSet};
use rayon::prelude::*;

use super::error::{Error, ErrorKind, Result};
use super::names::{format_property_name, parse_weak_map_edge_name, utf16_len};

/// The key of the name hash.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct NameKey(u64, u64);

impl std::fmt::Debug for NameKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key is a secret.
        f.write_str("NameKey(…)")
    }
}

impl NameKey {
    /// A random key (from the operating system's randomness behind `RandomState`).
    pub fn random() -> Self {
        let state = std::collections::hash_map::RandomState::new();
        Self(
            state.hash_one("heapsight name key 0"),
            state.hash_one("heapsight name key 1"),
        )
    }

    /// A key derived from a secret text: the same secret gives the same tokens.
    pub fn from_secret(secret: &str) -> Self {
        let part = |salt: u64| {
            let mut h = siphash(0x6865_6170_7369_6768, salt);
            h.write(secret.as_bytes());
            h.finish()
        };
        Self(part(1), part(2))
    }
}

#[allow(deprecated)] // `SipHasher` is SipHash-2-4 with a settable key, what we need here.
fn siphash(k0: u64, k1: u64) -> std::hash::SipHasher {
    std::hash::SipHasher::new_with_keys(k0, k1)
}

/// JavaScript and Node.js built-ins kept by name: the analysis and the leak doctor recognise
/// them, and they say nothing about the program.
const BUILTINS: &[&str] = &[
    "Object",
    "Array",
    "Function",
    "AsyncFunction",
    "GeneratorFunction",
    "AsyncGeneratorFunction",
    "Map",
    "Set",
    "WeakMap",
    "WeakSet",
    "WeakRef",
    "FinalizationRegistry",
    "Promise",
    "Proxy",
    "Symbol",
    "BigInt",
    "Number",
    "String",
    "Boolean",
    "Date",
    "RegExp",
    "Error",
    "TypeError",
    "RangeError",
    "SyntaxError",
    "ReferenceError",
    "EvalError",
    "URIError",
    "AggregateError",
    "ArrayBuffer",
    "SharedArrayBuffer",
    "DataView",
    "Int8Array",
    "Uint8Array",
    "Uint8ClampedArray",
    "Int16Array",
    "Uint16Array",
    "Int32Array",
    "Uint32Array",
    "Float16Array",
    "Float32Array",
    "Float64Array",
    "BigInt64Array",
    "BigUint64Array",
    "Generator",
    "AsyncGenerator",
    "Arguments",
    "JSON",
    "Math",
    "Reflect",
    "Intl",
    "Atomics",
    "console",
    "globalThis",
    "process",
    "module",
    "exports",
    "require",
    "Buffer",
    "EventEmitter",
    "Timeout",
    "Immediate",
    "TimersList",
    "ImmediateList",
    "setTimeout",
    "setInterval",
    "setImmediate",
    "clearTimeout",
    "clearInterval",
    "clearImmediate",
    "__proto__",
    "constructor",
    "prototype",
    "length",
    "name",
    "_events",
    "_eventsCount",
    "_maxListeners",
    "_idleTimeout",
    "_idleNext",
    "_idlePrev",
    "_idleStart",
    "_onTimeout",
    "_onImmediate",
    "_repeat",
    "_destroyed",
    "listener",
    "listeners",
    "entries",
    "table",
    "reactions",
    "undefined",
    "null",
    "true",
    "false",
];

/// True for names kept whatever their position (see the module docs).
pub fn is_kept_name(name: &str) -> bool {
    if name.is_empty() || name.bytes().all(|b| b.is_ascii_digit()) {
        return true;
    }
    if name.starts_with(['(', '<', '[']) {
        return true;
    }
    const PREFIXES: [&str; 6] = [
        "system / ",
        "Detached ",
        "Node / ",
        "global / ",
        "Window / ",
        "Window (",
    ];
    static BUILTIN_SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    matches!(name, "global" | "Window")
        || PREFIXES.iter().any(|p| name.starts_with(p))
        || BUILTIN_SET
            .get_or_init(|| BUILTINS.iter().copied().collect())
            .contains(name)
}

/// Characters of tokens: a first character and the others.
const FIRST: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/// Never digits: digits in a token are the name's own (see [`NameTokens`]).
const REST: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_";

/// Probes with ASCII tokens before falling back to CJK ideographs (short names only run out).
const ASCII_PROBES: u32 = 24;
/// Probes in all before giving up (only millions of one-character names get there).
const MAX_PROBES: u32 = 4096;

/// The UTF-16 length a name's token has: the length of the name as DevTools formats it
/// as a property (JSON-quoted when it contains `,'"{}`), when `as_property`.
pub fn token_len(name: &str, as_property: bool) -> usize {
    if as_property {
        utf16_len(&format_property_name(name))
    } else {
        utf16_len(name)
    }
}

/// One run of a name: ASCII digits (kept as they are) or other characters (hashed).
#[derive(Clone, Copy, Debug)]
enum Run<'a> {
    /// Digits.
    Digits(&'a str),
    /// Other characters, by UTF-16 length.
    Other(usize),
}

/// The runs of `name` (whose token has `len` UTF-16 units) and its shape key: the texts of
/// the other runs and where the digit runs are, so names of one shape differ only in digits.
fn shape(name: &str, len: usize) -> (String, Vec<Run<'_>>) {
    if len != utf16_len(name) {
        // Shown quoted (`"a,b"`): one run of the quoted length, digits not kept.
        return (format!("Q{len}:{name};"), vec![Run::Other(len)]);
    }
    let bytes = name.as_bytes();
    let mut key = String::with_capacity(name.len() + 8);
    let mut runs = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let digit = bytes[i].is_ascii_digit();
        let mut j = i;
        while j < bytes.len() && bytes[j].is_ascii_digit() == digit {
            j += 1;
        }
        // ASCII digits are whole characters, so `i` and `j` are character boundaries.
        let text = &name[i..j];
        if digit {
            key.push_str("D;");
            runs.push(Run::Digits(text));
        } else {
            let units = utf16_len(text);
            key.push_str(&format!("O{units}:{text};"));
            runs.push(Run::Other(units));
        }
        i = j;
    }
    (key, runs)
}

/// Probe `attempt` for the shape `shape_key`: the characters of its non-digit runs
/// (`count` of them, never digits), drawn from the keyed hash. `token_start`: the first one
/// starts the token (a letter, or a CJK ideograph once the ASCII probes are used up).
fn letters(
    key: NameKey,
    shape_key: &str,
    count: usize,
    token_start: bool,
    attempt: u32,
) -> Vec<char> {
    let mut h = siphash(key.0, key.1);
    h.write(shape_key.as_bytes());
    h.write_u32(attempt);
    let mut state = h.finish();
    let wide = attempt >= ASCII_PROBES;
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        if i > 0 && i % 8 == 0 {
            // A fresh 64 bits for every 8 characters.
            let mut h = siphash(key.0, key.1);
            h.write_u64(state);
            h.write_usize(i);
            state = h.finish();
        }
        let bits = (state >> ((i % 8) * 8)) & 0xff;
        let c = if wide && i == 0 {
            // One of the 20 992 CJK unified ideographs: more short codes.
            let mut h = siphash(key.0, key.1);
            h.write_u64(state);
            char::from_u32(0x4E00 + (h.finish() % 20_992) as u32).unwrap_or('A')
        } else if i == 0 && token_start {
            char::from(FIRST[bits as usize % FIRST.len()])
        } else {
            char::from(REST[bits as usize % REST.len()])
        };
        out.push(c);
    }
    out
}

/// The token of a name of runs `runs` given its shape's characters, and the shape's
/// signature (the characters and where the digits go: unique per shape).
fn compose(runs: &[Run<'_>], chars: &[char], with_digits: bool) -> String {
    let mut out = String::with_capacity(chars.len() + 8);
    let mut next = chars.iter();
    for run in runs {
        match *run {
            Run::Digits(d) if with_digits => out.push_str(d),
            Run::Digits(_) => out.push(';'),
            Run::Other(n) => out.extend(next.by_ref().take(n)),
        }
    }
    out
}

/// A name and its runs.
type Member<'a> = (&'a String, Vec<Run<'a>>);

/// Assigns tokens to names: equal names equal tokens, distinct names distinct tokens that
/// differ from every kept name. ASCII digits stay where they are and only the rest is
/// hashed, so names that differ only in their numbers (`item17`, `item18`) still do (the
/// leak report folds digits to group retainer paths); a name shown quoted as a property
/// (`"a,b"`) is hashed whole.
pub struct NameTokens {
    tokens: HashMap<String, String>,
}

impl NameTokens {
    /// Tokens for `names` (name → token length), none equal to a text of `kept`.
    pub fn new(key: NameKey, names: &HashMap<String, usize>, kept: &HashSet<&str>) -> Result<Self> {
        // Names by shape; shapes sorted, so the probing order (and the result) depends only
        // on the set of names.
        let mut shapes: HashMap<String, Vec<Member<'_>>> = HashMap::new();
        for (name, &len) in names {
            let (shape_key, runs) = shape(name, len);
            shapes.entry(shape_key).or_default().push((name, runs));
        }
        let mut shapes: Vec<(String, Vec<Member<'_>>)> = shapes.into_iter().collect();
        shapes.par_sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let count = |runs: &[Run<'_>]| -> usize {
            runs.iter()
                .map(|r| match r {
                    Run::Other(n) => *n,
                    Run::Digits(_) => 0,
                })
                .sum()
        };
        let starts = |runs: &[Run<'_>]| matches!(runs.first(), Some(Run::Other(_)));
        // First probes in parallel; collisions (rare) are resolved in order below.
        let first: Vec<Vec<char>> = shapes
            .par_iter()
            .map(|(shape_key, members)| {
                let runs = &members[0].1;
                letters(key, shape_key, count(runs), starts(runs), 0)
            })
            .collect();
        let mut used: HashSet<String> = HashSet::default();
        used.reserve(names.len());
        let mut used_shapes: HashSet<String> = HashSet::default();
        let mut tokens = HashMap::with_capacity(names.len());
        for ((shape_key, members), first) in shapes.iter().zip(first) {
            let runs = &members[0].1;
            let mut attempt = 0;
            let mut first = Some(first);
            let (signature, member_tokens) = loop {
                let chars = first
                    .take()
                    .unwrap_or_else(|| letters(key, shape_key, count(runs), starts(runs), attempt));
                let signature = compose(runs, &chars, false);
                let member_tokens: Vec<String> = members
                    .iter()
                    .map(|(_, r)| compose(r, &chars, true))
                    .collect();
                let free = !used_shapes.contains(&signature)
                    && member_tokens.iter().all(|t| {
                        !kept.contains(t.as_str()) && !is_kept_name(t) && !used.contains(t)
                    });
                if free {
                    break (signature, member_tokens);
                }
                attempt += 1;
                if attempt == MAX_PROBES {
                    return Err(Error::new(ErrorKind::Graph(format!(
                        "too many distinct names shaped like {:?} to give each its own token",
                        members[0].0
                    ))));
                }
            };
            used_shapes.insert(signature);
            for ((name, _), token) in members.iter().zip(member_tokens) {
                used.insert(token.clone());
                tokens.insert((*name).clone(), token);
            }
        }
        Ok(Self { tokens })
    }

    /// The token of `name`, if it was given one.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.tokens.get(name).map(String::as_str)
    }

    /// Number of names with a token.
    pub fn len(&self) -> usize {
        self.tokens.len()
    }
}

/// The function name inside a code name `(code for f)`, as a byte range.
pub fn code_for_part(name: &str) -> Option<std::ops::Range<usize>> {
    const HEAD: &str = "(code for ";
    let inner = name.strip_prefix(HEAD)?.strip_suffix(')')?;
    (!inner.is_empty()).then_some(HEAD.len()..HEAD.len() + inner.len())
}

/// The key and value names inside a WeakMap ephemeron edge name, as byte ranges:
/// `N / part of key (K @1) -> value (V @2) pair in WeakMap (table @3)`. `None` when the name
/// is not one (DevTools' regex decides).
pub fn weak_map_edge_parts(name: &str) -> Option<[std::ops::Range<usize>; 2]> {
    parse_weak_map_edge_name(name)?;
    let digits = name.bytes().take_while(u8::is_ascii_digit).count();
    const HEAD: &str = " / part of key (";
    let key_start = digits + HEAD.len();
    let rest = name.get(key_start..)?;
    // `(.*?) @\d+\) -> value \(`: the first ` @digits) -> value (` ends the key.
    let key_end = rest.match_indices(" @").find_map(|(i, _)| {
        let after = &rest[i + 2..];
        let d = after.bytes().take_while(u8::is_ascii_digit).count();
        (d > 0 && after[d..].starts_with(") -> value (")).then_some(i)
    })?;
    let value_start = key_start + key_end + 2;
    let value_start = value_start
        + name[value_start..]
            .bytes()
            .take_while(u8::is_ascii_digit)
            .count()
        + ") -> value (".len();
    // `(.*?) @\d+\) pair in WeakMap \(table @\d+\)$`: the tail is fixed but for the ids.
    const TAIL: &str = ") pair in WeakMap (table @";
    let tail = name.rfind(TAIL)?;
    let before_tail = &name[..tail];
    let id_digits = before_tail
        .bytes()
        .rev()
        .take_while(u8::is_ascii_digit)
        .count();
    let value_end = before_tail[..before_tail.len() - id_digits]
        .strip_suffix(" @")?
        .len();
    (value_start <= value_end).then_some([key_start..key_start + key_end, value_start..value_end])
}

/// `name` with its key and value names replaced by `replace` (returning `None` keeps one);
/// `None` when `name` is no ephemeron name or the result would not parse as the same edge.
pub fn rewrite_weak_map_edge_name(
    name: &str,
    mut replace: impl FnMut(&str) -> Option<String>,
) -> Option<String> {
    let [key, value] = weak_map_edge_parts(name)?;
    let new_key = replace(&name[key.clone()]);
    let new_value = replace(&name[value.clone()]);
    if new_key.is_none() && new_value.is_none() {
        return None;
    }
    let mut out = String::with_capacity(name.len());
    out.push_str(&name[..key.start]);
    out.push_str(new_key.as_deref().unwrap_or(&name[key.clone()]));
    out.push_str(&name[key.end..value.start]);
    out.push_str(new_value.as_deref().unwrap_or(&name[value.clone()]));
    out.push_str(&name[value.end..]);
    let (before, after) = (
        parse_weak_map_edge_name(name)?,
        parse_weak_map_edge_name(&out)?,
    );
    (before.table_id == after.table_id
        && before.duplicated_part_start == after.duplicated_part_start)
        .then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_keep_length_and_equality() {
        let key = NameKey::from_secret("test");
        let mut names = HashMap::new();
        for n in ["CachedApiResponse", "a", "b", "id", "x,y", "日本"] {
            names.insert(n.to_owned(), token_len(n, true));
        }
        let kept: HashSet<&str> = ["Map"].into_iter().collect();
        let tokens = NameTokens::new(key, &names, &kept).unwrap();
        for (n, &len) in &names {
            let t = tokens.get(n).unwrap();
            assert_eq!(utf16_len(t), len, "{n} -> {t}");
            assert!(!is_kept_name(t), "{t}");
            assert_eq!(format_property_name(t), *t);
        }
        // `x,y` is shown quoted: `"x,y"`, five units.
        assert_eq!(tokens.get("x,y").unwrap().len(), 5);
        let distinct: HashSet<&str> = names.keys().map(|n| tokens.get(n).unwrap()).collect();
        assert_eq!(distinct.len(), names.len());
        // Same key, same tokens; another key, other tokens.
        let again = NameTokens::new(key, &names, &kept).unwrap();
        assert_eq!(
            again.get("CachedApiResponse"),
            tokens.get("CachedApiResponse")
        );
        let other = NameTokens::new(NameKey::from_secret("other"), &names, &kept).unwrap();
        assert_ne!(
            other.get("CachedApiResponse"),
            tokens.get("CachedApiResponse")
        );
    }

    #[test]
    fn digits_stay_in_place() {
        let mut names = HashMap::new();
        for n in ["item17", "item18", "item1", "a1b", "a12b", "x1y", "7up"] {
            names.insert(n.to_owned(), token_len(n, true));
        }
        let key = NameKey::from_secret("digits");
        let tokens = NameTokens::new(key, &names, &HashSet::default()).unwrap();
        let t = |n: &str| tokens.get(n).unwrap().to_owned();
        let fold = |s: &str| s.replace(|c: char| c.is_ascii_digit(), "#");
        // One shape, one set of letters; the numbers are the names'.
        assert_eq!(t("item17")[..4], t("item18")[..4]);
        assert_eq!(t("item1")[..4], t("item18")[..4]);
        assert!(t("item17").ends_with("17") && t("item1").ends_with('1'));
        assert_eq!(fold(&t("a1b"))[..1], fold(&t("a12b"))[..1]);
        // Different shapes of one structure get different letters.
        assert_ne!(fold(&t("a1b")), fold(&t("x1y")));
        assert!(t("7up").starts_with('7'));
        for (n, &len) in &names {
            assert_eq!(utf16_len(&t(n)), len);
            assert_ne!(&t(n), n);
        }
    }

    #[test]
    fn one_character_names_do_not_run_out() {
        let mut names = HashMap::new();
        for i in 0..500u32 {
            names.insert(char::from_u32(0x100 + i).unwrap().to_string(), 1);
        }
        let tokens = NameTokens::new(NameKey::random(), &names, &HashSet::default()).unwrap();
        let distinct: HashSet<&str> = names.keys().map(|n| tokens.get(n).unwrap()).collect();
        assert_eq!(distinct.len(), 500);
    }

    #[test]
    fn weak_map_edge_names_keep_their_format() {
        let name = "12 / part of key (Foo @3) -> value (Bar Baz @5) pair in WeakMap (table @7)";
        let [k, v] = weak_map_edge_parts(name).unwrap();
        assert_eq!(&name[k], "Foo");
        assert_eq!(&name[v], "Bar Baz");
        let out = rewrite_weak_map_edge_name(name, |s| (s == "Foo").then(|| "Qux".to_owned()));
        assert_eq!(
            out.as_deref(),
            Some("12 / part of key (Qux @3) -> value (Bar Baz @5) pair in WeakMap (table @7)")
        );
        assert!(weak_map_edge_parts("map").is_none());
        assert!(rewrite_weak_map_edge_name(name, |_| None).is_none());
    }

    #[test]
    fn kept_names() {
        for kept in [
            "(GC roots)",
            "<symbol>",
            "system / Context",
            "Detached <div>",
            "Object",
            "__proto__",
            "global",
            "Window / https://a",
            "12",
            "",
        ] {
            assert!(is_kept_name(kept), "{kept}");
        }
        for hashed in ["CachedApiResponse", "user", "globalCache", "WindowManager"] {
            assert!(!is_kept_name(hashed), "{hashed}");
        }
    }
}
