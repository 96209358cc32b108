//! An in-process pipe that carries a snapshot being captured to the loader as it arrives, so
//! the snapshot is parsed while it is received and opens the moment the capture ends.
//!
//! The writer side batches bytes into chunks and blocks when the reader is [`CHUNKS`] chunks
//! behind (the target simply waits on its socket). [`PipeWriter::finish`] marks the end; a
//! writer dropped without it (a failed or cancelled capture) makes the reader fail instead
//! of seeing a truncated document as complete. A reader that stops early (its load failed)
//! never fails or blocks the writer: the capture to disk goes on.

use std::io::{self, Read, Write};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

/// Bytes per chunk.
const CHUNK_BYTES: usize = 1 << 20;

/// Chunks in flight at most.
const CHUNKS: usize = 8;

/// The capture's end of the pipe.
pub struct PipeWriter {
    tx: Option<SyncSender<io::Result<Vec<u8>>>>,
    buffer: Vec<u8>,
}

/// The loader's end of the pipe.
pub struct PipeReader {
    rx: Receiver<io::Result<Vec<u8>>>,
    chunk: Vec<u8>,
    at: usize,
    ended: bool,
}

/// A new pipe.
pub fn pipe() -> (PipeWriter, PipeReader) {
    let (tx, rx) = sync_channel(CHUNKS);
    (
        PipeWriter {
            tx: Some(tx),
            buffer: Vec::with_capacity(CHUNK_BYTES),
        },
        PipeReader {
            rx,
            chunk: Vec::new(),
            at: 0,
            ended: false,
        },
    )
}

impl PipeWriter {
    /// Sends a chunk. A reader that is gone (the loader failed and says why itself) does not
    /// fail the capture: what follows is dropped.
    fn send(&mut self, chunk: io::Result<Vec<u8>>) -> io::Result<()> {
        if let Some(tx) = self.tx.as_ref()
            && tx.send(chunk).is_err()
        {
            self.tx = None;
        }
        Ok(())
    }

    /// Marks the end of the document: the reader sees end of file after the last byte.
    pub fn finish(mut self) -> io::Result<()> {
        let rest = std::mem::take(&mut self.buffer);
        if !rest.is_empty() {
            self.send(Ok(rest))?;
        }
        // Closing the channel without an error is the end of file.
        self.tx = None;
        Ok(())
    }
}

impl Write for PipeWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.buffer.extend_from_slice(buf);
        if self.buffer.len() >= CHUNK_BYTES {
            let full = std::mem::replace(&mut self.buffer, Vec::with_capacity(CHUNK_BYTES));
            self.send(Ok(full))?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for PipeWriter {
    fn drop(&mut self) {
        if let Some(tx) = self.tx.take() {
            // Not finished: the capture failed or was cancelled.
            tx.send(Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the capture did not complete",
            )))
            .ok();
        }
    }
}

impl Read for PipeReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.at == self.chunk.len() {
            if self.ended {
                return Ok(0);
            }
            match self.rx.recv() {
                Ok(Ok(chunk)) => {
                    self.chunk = chunk;
                    self.at = 0;
                }
                Ok(Err(e)) => return Err(e),
                Err(_) => {
                    self.ended = true;
                    return Ok(0);
                }
            }
        }
        let n = buf.len().min(self.chunk.len() - self.at);
        buf[..n].copy_from_slice(&self.chunk[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// Writes everything to `first` and, when there is one, to `second`.
pub struct Tee<A, B> {
    /// The main sink (the file).
    pub first: A,
    /// The copy (the loader's pipe).
    pub second: Option<B>,
}

impl<A: Write, B: Write> Write for Tee<A, B> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.first.write_all(buf)?;
        if let Some(second) = self.second.as_mut() {
            second.write_all(buf)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.first.flush()?;
        if let Some(second) = self.second.as_mut() {
            second.flush()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_arrive_in_order_and_finish_is_end_of_file() {
        let (mut w, mut r) = pipe();
        let reader = std::thread::spawn(move || {
            let mut out = Vec::new();
            r.read_to_end(&mut out).map(|_| out)
        });
        let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
        for part in data.chunks(70_001) {
            w.write_all(part).unwrap();
        }
        w.finish().unwrap();
        assert_eq!(reader.join().unwrap().unwrap(), data);
    }

    #[test]
    fn a_reader_gone_does_not_fail_the_writer() {
        let (mut w, r) = pipe();
        drop(r);
        w.write_all(&vec![7u8; 3 * CHUNK_BYTES]).unwrap();
        w.finish().unwrap();
    }

    #[test]
    fn an_unfinished_writer_is_an_error_not_end_of_file() {
        let (mut w, mut r) = pipe();
        w.write_all(b"{\"snapshot\":").unwrap();
        drop(w);
        let mut out = Vec::new();
        let err = r.read_to_end(&mut out).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    }
}
