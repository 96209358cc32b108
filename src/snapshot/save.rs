//! "Save as": a copy of a snapshot file, gzip-compressed when the new name ends in `.gz`
//! and plain otherwise, written complete or not at all (through a `.part` file).

use std::io::{self, BufReader, Read, Write};
use std::path::Path;

/// True when `path`'s name ends in `.gz` (the copy is then compressed).
pub fn wants_gzip(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"))
}

/// Copies the snapshot read from `input` (gzip-compressed when its first bytes say so) to
/// `out`, compressed when `out` ends in `.gz`; bytes are passed through unchanged when
/// both sides agree. Returns the bytes written. On any error `out` is left as it was.
pub fn save_copy_from(input: impl Read, out: &Path) -> io::Result<u64> {
    let mut input = BufReader::with_capacity(1 << 20, input);
    let head = io::BufRead::fill_buf(&mut input)?;
    let gzip_in = head.len() >= 2 && head[0] == 0x1f && head[1] == 0x8b;
    let gzip_out = wants_gzip(out);
    crate::atomic_file::write_via_part(out, |w| match (gzip_in, gzip_out) {
        (true, true) | (false, false) => io::copy(&mut input, w),
        (true, false) => io::copy(&mut flate2::bufread::MultiGzDecoder::new(input), w),
        (false, true) => {
            let mut encoder = flate2::write::GzEncoder::new(w, flate2::Compression::fast());
            let n = io::copy(&mut input, &mut encoder)?;
            encoder.finish()?.flush()?;
            Ok(n)
        }
    })
}

/// [`save_copy_from`] of the file `input`; refuses to write over `input` itself.
pub fn save_copy(input: &Path, out: &Path) -> io::Result<u64> {
    let same = std::fs::canonicalize(input)
        .ok()
        .zip(std::fs::canonicalize(out).ok())
        .is_some_and(|(a, b)| a == b);
    if same {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "that is the file itself; choose another name",
        ));
    }
    save_copy_from(std::fs::File::open(input)?, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_between_plain_and_gzip_and_never_leaves_half_a_file() {
        let dir = std::env::temp_dir().join(format!("heapsight-save-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let text = br#"{"snapshot":{},"nodes":[],"edges":[],"strings":[]}"#.repeat(100);
        let plain = dir.join("a.heapsnapshot");
        std::fs::write(&plain, &text).expect("write");
        let gz = dir.join("b.heapsnapshot.gz");
        save_copy(&plain, &gz).expect("compress");
        let mut back = Vec::new();
        flate2::read::MultiGzDecoder::new(std::fs::File::open(&gz).expect("open"))
            .read_to_end(&mut back)
            .expect("gunzip");
        assert_eq!(back, text);
        let again = dir.join("c.heapsnapshot");
        save_copy(&gz, &again).expect("uncompress");
        assert_eq!(std::fs::read(&again).expect("read"), text);
        let same = dir.join("d.heapsnapshot.gz");
        save_copy(&gz, &same).expect("copy");
        assert_eq!(
            std::fs::read(&same).expect("read"),
            std::fs::read(&gz).expect("read")
        );
        // Over itself, or into a missing folder: an error, nothing written.
        assert!(save_copy(&gz, &gz).is_err());
        let missing = dir.join("no/such/dir/e.heapsnapshot");
        assert!(save_copy(&plain, &missing).is_err());
        assert!(!crate::atomic_file::part_path(&missing).exists());
        std::fs::remove_dir_all(&dir).ok();
    }
}
