//! The wire: a plain HTTP/1.1 GET (`Connection: close`) for the inspector's `/json/*` endpoints, and a blocking
//! JSON-RPC client over a WebSocket ([`Connection`]) for the Chrome DevTools Protocol.
//!
//! The socket has a short read timeout ([`POLL`]) so that a long wait (a snapshot being
//! serialized) can notice a cancel request and a stall between messages.

use std::io::{ErrorKind as IoKind, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tungstenite::{Message, WebSocket};

use super::error::{Error, Result};

/// How often a blocked read wakes up to check for cancellation.
pub const POLL: Duration = Duration::from_millis(100);

/// Opens a TCP connection whose reads and writes time out after `timeout`, mapping
/// "refused" to [`Error::ConnectionRefused`].
pub fn connect(address: SocketAddr, timeout: Duration) -> Result<TcpStream> {
    let stream = TcpStream::connect_timeout(&address, timeout).map_err(|e| match e.kind() {
        IoKind::ConnectionRefused => Error::ConnectionRefused { address },
        IoKind::TimedOut | IoKind::WouldBlock => Error::Timeout {
            what: format!("a connection to {address}"),
            secs: timeout.as_secs_f64(),
        },
        _ => Error::Network {
            context: "cannot connect to",
            address,
            source: e,
        },
    })?;
    stream.set_nodelay(true).ok();
    stream
        .set_read_timeout(Some(timeout))
        .and_then(|()| stream.set_write_timeout(Some(timeout)))
        .map_err(|source| Error::Network {
            context: "cannot set up the connection to",
            address,
            source,
        })?;
    Ok(stream)
}

/// `GET path` over HTTP/1.1 (Chromium closes HTTP/1.0 requests without an answer) and parses the body as JSON (`/json/list`, `/json/version`).
pub fn get_json(address: SocketAddr, path: &'static str, timeout: Duration) -> Result<Value> {
    let mut stream = connect(address, timeout)?;
    let io = |source| Error::Network {
        context: "HTTP request to",
        address,
        source,
    };
    // Node accepts only an IP literal or `localhost` as Host (DNS-rebinding guard).
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).map_err(io)?;
    let mut response = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                response.extend_from_slice(&buf[..n]);
                if body_complete(&response) {
                    break;
                }
                if response.len() > 64 << 20 {
                    return Err(http_error(address, path, "answer larger than 64 MiB"));
                }
            }
            Err(e) if e.kind() == IoKind::Interrupted => {}
            Err(e) if matches!(e.kind(), IoKind::WouldBlock | IoKind::TimedOut) => {
                return Err(Error::Timeout {
                    what: format!("{address}{path} to answer"),
                    secs: timeout.as_secs_f64(),
                });
            }
            Err(e) => return Err(io(e)),
        }
    }
    let Some(split) = find(&response, b"\r\n\r\n") else {
        return Err(http_error(
            address,
            path,
            "no HTTP header (is this an inspector port?)",
        ));
    };
    let head = String::from_utf8_lossy(&response[..split]);
    let status = head.lines().next().unwrap_or_default();
    if status.split_whitespace().nth(1) != Some("200") {
        return Err(http_error(address, path, status));
    }
    serde_json::from_slice(&response[split + 4..])
        .map_err(|e| http_error(address, path, &format!("not JSON: {e}")))
}

fn http_error(address: SocketAddr, path: &'static str, reason: &str) -> Error {
    Error::Http {
        address,
        path,
        reason: reason.to_owned(),
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// True once the header and `Content-Length` bytes of body arrived (Chrome may keep the
/// connection open after answering).
fn body_complete(response: &[u8]) -> bool {
    let Some(split) = find(response, b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(&response[..split]);
    let length = head.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("content-length")
            .then(|| value.trim().parse::<usize>().ok())?
    });
    length.is_some_and(|n| response.len() >= split + 4 + n)
}

/// One message from the target.
#[derive(Debug)]
pub enum Incoming {
    /// The answer to command `id`: its `result`, or its protocol error.
    Reply {
        /// The command's id.
        id: u64,
        /// `result`, or `(code, message)` of `error`.
        result: std::result::Result<Value, (i64, String)>,
    },
    /// An event: `method` and `params`.
    Event {
        /// E.g. `HeapProfiler.addHeapSnapshotChunk`.
        method: String,
        /// The event's parameters.
        params: Value,
    },
}

/// A JSON-RPC session over the inspector's WebSocket.
pub struct Connection {
    ws: WebSocket<TcpStream>,
    address: SocketAddr,
    next_id: u64,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// Connects to `ws://address/path`. The handshake carries no `Origin` header (Chrome
    /// 111+ refuses one it was not told to allow).
    pub fn open(address: SocketAddr, path: &str, timeout: Duration) -> Result<Self> {
        let stream = connect(address, timeout)?;
        let url = format!("ws://{address}{path}");
        let (ws, _response) = tungstenite::client(url.as_str(), stream).map_err(|e| {
            let reason = match e {
                tungstenite::HandshakeError::Interrupted(_) => {
                    format!("no answer within {:.1} s", timeout.as_secs_f64())
                }
                tungstenite::HandshakeError::Failure(e) => e.to_string(),
            };
            Error::Handshake {
                url: url.clone(),
                reason,
            }
        })?;
        ws.get_ref()
            .set_read_timeout(Some(POLL))
            .map_err(|source| Error::Network {
                context: "cannot set up the connection to",
                address,
                source,
            })?;
        Ok(Self {
            ws,
            address,
            next_id: 1,
        })
    }

    /// The inspector address.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Sends a command and returns its id without waiting for the answer.
    pub fn send(&mut self, method: &str, params: Value) -> Result<u64> {
        let id = self.next_id;
        self.next_id += 1;
        let text = json!({ "id": id, "method": method, "params": params }).to_string();
        self.ws
            .send(Message::text(text))
            .map_err(|e| self.ws_error(e, method))?;
        Ok(id)
    }

    /// Waits for the next message. Calls `keep_waiting` every [`POLL`] while nothing arrives;
    /// it returns an error (cancel, deadline) to give up.
    pub fn next(
        &mut self,
        during: &str,
        keep_waiting: &mut dyn FnMut() -> Result<()>,
    ) -> Result<Incoming> {
        loop {
            match self.ws.read() {
                Ok(Message::Text(text)) => return parse_incoming(text.as_str()),
                Ok(Message::Binary(bytes)) => {
                    let text = String::from_utf8_lossy(&bytes).into_owned();
                    return parse_incoming(&text);
                }
                Ok(Message::Close(_)) => return Err(closed(during)),
                Ok(_) => {} // Ping/Pong/Frame: tungstenite answers pings itself.
                Err(tungstenite::Error::Io(e))
                    if matches!(
                        e.kind(),
                        IoKind::WouldBlock | IoKind::TimedOut | IoKind::Interrupted
                    ) =>
                {
                    keep_waiting()?;
                }
                Err(e) => return Err(self.ws_error(e, during)),
            }
        }
    }

    /// Sends a command and waits up to `timeout` for its answer, dropping events.
    pub fn call(&mut self, method: &str, params: Value, timeout: Duration) -> Result<Value> {
        let id = self.send(method, params)?;
        let deadline = Instant::now() + timeout;
        let mut wait = || deadline_check(deadline, timeout, method);
        loop {
            if let Incoming::Reply { id: got, result } = self.next(method, &mut wait)?
                && got == id
            {
                return reply_result(method, result);
            }
        }
    }

    fn ws_error(&self, e: tungstenite::Error, during: &str) -> Error {
        match e {
            tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed => {
                closed(during)
            }
            tungstenite::Error::Io(source)
                if matches!(
                    source.kind(),
                    IoKind::ConnectionReset | IoKind::BrokenPipe | IoKind::UnexpectedEof
                ) =>
            {
                closed(during)
            }
            tungstenite::Error::Protocol(
                tungstenite::error::ProtocolError::ResetWithoutClosingHandshake,
            ) => closed(during),
            tungstenite::Error::Io(source) => Error::Network {
                context: "connection error with",
                address: self.address,
                source,
            },
            other => Error::BadReply {
                what: during.to_owned(),
                reason: other.to_string(),
            },
        }
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        // A polite close; the target copes without it.
        self.ws.close(None).ok();
        self.ws.flush().ok();
    }
}

/// An error once `deadline` has passed.
pub fn deadline_check(deadline: Instant, timeout: Duration, what: &str) -> Result<()> {
    if Instant::now() >= deadline {
        return Err(Error::Timeout {
            what: format!(
                "the answer to {what} (a busy target, e.g. one still writing a cancelled snapshot, answers late)"
            ),
            secs: timeout.as_secs_f64(),
        });
    }
    Ok(())
}

/// The `result` of a reply, or its protocol error as [`Error::Protocol`].
pub fn reply_result(
    method: &str,
    result: std::result::Result<Value, (i64, String)>,
) -> Result<Value> {
    result.map_err(|(code, message)| Error::Protocol {
        method: method.to_owned(),
        code,
        message,
    })
}

fn closed(during: &str) -> Error {
    Error::Closed {
        during: if during.is_empty() {
            String::new()
        } else {
            format!(" during {during}")
        },
    }
}

fn parse_incoming(text: &str) -> Result<Incoming> {
    let bad = |reason: String| Error::BadReply {
        what: "a protocol message".to_owned(),
        reason,
    };
    let mut value: Value = serde_json::from_str(text).map_err(|e| bad(format!("not JSON: {e}")))?;
    if let Some(id) = value.get("id").and_then(Value::as_u64) {
        let result = match value.get_mut("error") {
            Some(error) => Err((
                error.get("code").and_then(Value::as_i64).unwrap_or(0),
                error
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("unknown error")
                    .to_owned(),
            )),
            None => Ok(value
                .get_mut("result")
                .map(Value::take)
                .unwrap_or(Value::Null)),
        };
        return Ok(Incoming::Reply { id, result });
    }
    match value.get("method").and_then(Value::as_str) {
        Some(method) => Ok(Incoming::Event {
            method: method.to_owned(),
            params: value
                .get_mut("params")
                .map(Value::take)
                .unwrap_or(Value::Null),
        }),
        None => Err(bad(format!("neither a reply nor an event: {text:.200}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_body_completion() {
        assert!(!body_complete(
            b"HTTP/1.0 200 OK\r\nContent-Length: 4\r\n\r\n[]"
        ));
        assert!(body_complete(
            b"HTTP/1.0 200 OK\r\ncontent-length: 2\r\n\r\n[]"
        ));
        assert!(!body_complete(b"HTTP/1.0 200 OK\r\n\r\n[]"));
    }

    #[test]
    fn incoming_messages() {
        let Incoming::Reply { id, result } =
            parse_incoming(r#"{"id":3,"result":{"a":1}}"#).unwrap()
        else {
            panic!("not a reply")
        };
        assert_eq!((id, result.unwrap()), (3, json!({"a": 1})));
        let Incoming::Reply { result, .. } =
            parse_incoming(r#"{"id":4,"error":{"code":-32601,"message":"nope"}}"#).unwrap()
        else {
            panic!("not a reply")
        };
        assert_eq!(result.unwrap_err(), (-32601, "nope".to_owned()));
        let Incoming::Event { method, params } = parse_incoming(
            r#"{"method":"HeapProfiler.addHeapSnapshotChunk","params":{"chunk":"{"}}"#,
        )
        .unwrap() else {
            panic!("not an event")
        };
        assert_eq!(method, "HeapProfiler.addHeapSnapshotChunk");
        assert_eq!(params["chunk"], "{");
        assert!(parse_incoming("[1]").is_err());
    }
}
