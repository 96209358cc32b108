//! egui_kittest tests of the Live view (issue 12) against a real `node --inspect` process on
//! loopback: attach, memory samples arrive, "take, take" opens the snapshots as baseline and
//! target (with the preset in the file name), a closed port is a clear error.

use std::time::{Duration, Instant};

use egui_kittest::Harness;
use heapsight::app::role::Role;
use heapsight::app::{HeapsightApp, StartOptions};
use heapsight::live::AttachTo;

use crate::live::{node_binary, start_node};
use crate::util;

fn app() -> Harness<'static, HeapsightApp> {
    let options = StartOptions {
        demo: false,
        view: Some("live".to_owned()),
        ..StartOptions::for_files(Vec::new())
    };
    util::app_harness(options, 800.0)
}

/// Steps the app until `done` holds (30 s at most).
fn step_until(
    h: &mut Harness<'static, HeapsightApp>,
    what: &str,
    done: impl Fn(&HeapsightApp) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done(h.state()) {
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}: {:?}",
            h.state().live().log()
        );
        h.step();
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The app attached to `process` in the Live view, capturing into a scratch folder.
fn attached(
    process: &crate::live::NodeProcess,
    scratch: &str,
) -> (Harness<'static, HeapsightApp>, std::path::PathBuf) {
    let dir = util::scratch_dir(scratch);
    let mut h = app();
    h.run_steps(2);
    let ctx = h.ctx.clone();
    h.state_mut().live_mut().folder = dir.display().to_string();
    h.state_mut()
        .live_mut()
        .attach(&ctx, AttachTo::Address(process.address()));
    step_until(&mut h, "attached", |a| a.live().attached().is_some());
    (h, dir)
}

#[test]
fn live_take_take_opens_baseline_and_target() {
    let Some(node) = node_binary() else {
        eprintln!("skipped: no node");
        return;
    };
    let process = start_node(&node, &["--inspect=127.0.0.1:0"], 0);
    let (mut h, dir) = attached(&process, "ui-live");
    step_until(&mut h, "two memory samples", |a| {
        a.live().samples().len() >= 2
    });
    let sample = h.state().live().samples()[1];
    assert!(sample.heap_used_bytes > 0 && sample.rss_bytes.unwrap_or(0) > 0);

    h.state_mut().live_mut().take_snapshot();
    step_until(&mut h, "snapshot 1 open", |a| {
        a.documents().all().len() == 1
    });
    h.state_mut().live_mut().take_snapshot();
    step_until(&mut h, "snapshot 2 open", |a| {
        a.documents().all().len() == 2
    });
    util::wait_app_idle(&mut h);
    let roles = &h.state().compare().roles;
    for (role, n) in [(Role::Baseline, 1), (Role::Target, 2)] {
        let id = roles.doc(role).expect("the role is filled");
        let doc = h
            .state()
            .documents()
            .all()
            .iter()
            .find(|d| d.id == id)
            .expect("doc");
        let name = doc.source.display_name();
        assert!(
            name.ends_with(&format!("-{n}-devtools.heapsnapshot")),
            "{name}"
        );
        assert!(doc.snapshot.node_count() > 1000);
        // Read as it arrived, it equals the file on disk read again.
        let path = doc.source.path().expect("a file");
        let from_disk = util::load_path(path);
        assert_eq!(doc.snapshot.node_count(), from_disk.node_count());
        assert_eq!(doc.snapshot.total_size(), from_disk.total_size());
        assert_eq!(doc.snapshot.path(), Some(path));
    }
    // Both were read as they arrived (no fallback to opening the file).
    assert!(
        h.state().live().log().iter().all(|(error, _)| !error),
        "{:?}",
        h.state().live().log()
    );
    // No .part file is left behind.
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .expect("dir")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".part"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    drop(process);
}

#[test]
fn live_attach_to_a_closed_port_says_why() {
    // Bind and drop a listener: the port is (almost certainly) closed afterwards.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let mut h = app();
    h.run_steps(2);
    let ctx = h.ctx.clone();
    h.state_mut()
        .live_mut()
        .attach(&ctx, AttachTo::Address(format!("127.0.0.1:{port}")));
    step_until(&mut h, "the error", |a| {
        a.live().log().iter().any(|(e, _)| *e)
    });
    let (_, message) = h.state().live().log().last().expect("log").clone();
    assert!(message.contains(&port.to_string()), "{message}");
    assert!(h.state().live().attached().is_none());
}

/// Measurement (run with `--ignored --nocapture`): a capture of a 300 000-object heap opens
/// how long after it ends (the snapshot is parsed while it arrives).
#[test]
#[ignore]
fn live_big_capture_opens_when_it_ends() {
    let Some(node) = node_binary() else {
        return;
    };
    let process = start_node(&node, &["--inspect=127.0.0.1:0"], 300_000);
    let (mut h, _dir) = attached(&process, "ui-live-big");
    h.state_mut().live_mut().take_snapshot();
    let deadline = Instant::now() + Duration::from_secs(120);
    while h.state().documents().all().is_empty() {
        assert!(Instant::now() < deadline);
        h.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    for (_, line) in h.state().live().log() {
        println!("{line}");
    }
    let doc = &h.state().documents().all()[0];
    let path = doc.source.path().expect("file");
    let started = Instant::now();
    let from_disk = util::load_path(path);
    println!(
        "{} nodes; loading the same file from disk afterwards: {:.2} s",
        from_disk.node_count(),
        started.elapsed().as_secs_f64()
    );
    drop(process);
}
