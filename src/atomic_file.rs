//! Writing a file so that it is either complete under its final name or not there at all.
//!
//! Everything heapsight writes (synthetic snapshots, exported findings) goes through
//! [`write_via_part`]: the bytes go to `<path>.part` in the same directory, which is renamed
//! to `path` once complete and removed on any error, so no reader ever sees half a file.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// The temporary name used while `path` is written: `<path>.part`.
pub fn part_path(path: &Path) -> PathBuf {
    let mut part = path.as_os_str().to_owned();
    part.push(".part");
    PathBuf::from(part)
}

/// Calls `write` with a buffered writer on `<path>.part`, then renames it to `path`. On an
/// error (from `write`, the flush or the rename) the temporary file is removed and `path` is
/// left as it was.
pub fn write_via_part<T>(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> io::Result<T>,
) -> io::Result<T> {
    write_via_part_with(path, write, |e| e)
}

/// [`write_via_part`] for a writer with its own error type `E`: the I/O errors of creating,
/// flushing and renaming the `.part` file become `E` through `io_error`.
pub fn write_via_part_with<T, E>(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> Result<T, E>,
    io_error: impl Fn(io::Error) -> E,
) -> Result<T, E> {
    let part = part_path(path);
    let result = (|| {
        let file = File::create(&part).map_err(&io_error)?;
        let mut writer = BufWriter::with_capacity(1 << 20, file);
        let value = write(&mut writer)?;
        writer.into_inner().map_err(|e| io_error(e.into_error()))?;
        std::fs::rename(&part, path).map_err(&io_error)?;
        Ok(value)
    })();
    if result.is_err() {
        std::fs::remove_file(&part).ok();
    }
    result
}

/// Writes `bytes` to `path` through [`write_via_part`].
pub fn write_bytes(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_via_part(path, |w| w.write_all(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn complete_or_absent() {
        let dir = std::env::temp_dir().join(format!("heapsight-atomic-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("out.md");
        write_bytes(&path, b"hello").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"hello");
        // An error half-way leaves the previous content and no `.part`.
        let err = write_via_part(&path, |w| {
            w.write_all(b"half")?;
            Err::<(), _>(io::Error::other("disk full"))
        });
        assert!(err.is_err());
        assert_eq!(std::fs::read(&path).unwrap(), b"hello");
        assert!(!part_path(&path).exists());
        // A folder that does not exist: an error, nothing written.
        assert!(write_bytes(&dir.join("missing/out.md"), b"x").is_err());
        std::fs::remove_dir_all(&dir).ok();
    }
}
