//! egui_kittest tests that drive the real app: files come in through the dropped-file input,
//! loads run on the real background jobs, and rows are found, clicked and navigated with the
//! keyboard as a user would.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use heapsight::app::command::Command;
use heapsight::app::panes::summary::SummaryItem;
use heapsight::app::{HeapsightApp, StartOptions};
use heapsight::snapshot::{self, NodeIdx, Progress, Snapshot};

/// A dropped file as the native integration delivers it (only the path is read).
#[derive(Debug)]
struct DroppedPath(PathBuf);

impl egui::DroppedFile for DroppedPath {
    fn path(&self) -> &Path {
        &self.0
    }

    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

fn fixture(scenario: &str, name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/goldens")
        .join(scenario)
        .join(name)
}

fn cache_final() -> PathBuf {
    fixture("cache", "final.heapsnapshot.gz")
}

/// The real app in a 1280×800 window, with nothing open (no demo).
fn harness() -> Harness<'static, HeapsightApp> {
    let app = HeapsightApp::with_options(StartOptions {
        demo: false,
        ..StartOptions::default()
    });
    Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_ui_state(|ui, app: &mut HeapsightApp| app.show(ui), app)
}

fn drop_file(h: &mut Harness<'static, HeapsightApp>, path: &Path) {
    h.input_mut()
        .dropped_files
        .push(Arc::new(DroppedPath(path.to_path_buf())));
    h.step();
}

/// Steps frames until nothing loads, sorts or searches in the background.
fn wait_idle(h: &mut Harness<'static, HeapsightApp>) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        h.step();
        if !h.state().is_busy() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the app stayed busy for 2 minutes"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    // Let layout settle (column widths, scrolling).
    for _ in 0..3 {
        h.step();
    }
}

fn load(path: &Path) -> Snapshot {
    snapshot::load_path(path, &Progress::new()).expect("fixture loads")
}

/// The instance of `class` with the largest retained size (the first row when expanded).
fn biggest_instance(snap: &Snapshot, class: &str) -> NodeIdx {
    let c = snap
        .classes()
        .iter()
        .position(|c| c.name == class)
        .expect("class exists");
    snap.class_members(c)
        .iter()
        .map(|&n| NodeIdx(n))
        .max_by_key(|&n| (snap.retained_size(n), std::cmp::Reverse(n.0)))
        .expect("class has instances")
}

/// Drops the cache scenario, filters to `CachedApiResponse`, expands it and clicks its
/// biggest instance. Returns the clicked node's id.
fn open_leak_and_select_instance(h: &mut Harness<'static, HeapsightApp>) -> u32 {
    drop_file(h, &cache_final());
    wait_idle(h);
    assert_eq!(
        h.state().documents().all().len(),
        1,
        "errors: {:?}",
        h.state().errors()
    );

    h.get_by_label("Class filter").click();
    h.step();
    h.get_by_label("Class filter").type_text("cachedapi");
    wait_idle(h);
    let top = h
        .state_mut()
        .summary_mut()
        .tree_mut()
        .expect("tree")
        .top_level()
        .to_vec();
    assert_eq!(top.len(), 1, "the filter leaves one class: {top:?}");

    // Click the class row, expand it with the right arrow.
    h.get_by_label("CachedApiResponse").click();
    h.step();
    h.key_press(egui::Key::ArrowRight);
    wait_idle(h);

    let snap = load(&cache_final());
    let instance = biggest_instance(&snap, "CachedApiResponse");
    let id = snap.node_id(instance);
    h.get_by_label(&format!("@{id}")).click();
    wait_idle(h);
    id
}

#[test]
fn dropped_snapshot_shows_leak_and_its_retainers() {
    let mut h = harness();
    let id = open_leak_and_select_instance(&mut h);

    let app = h.state();
    let doc = app.documents().active().expect("a snapshot is open");
    let s = Arc::clone(&doc.snapshot);
    let selected = app.selection().node().expect("an instance is selected");
    assert_eq!(s.node_id(selected), id);
    assert_eq!(s.class_name(selected), "CachedApiResponse");
    assert_eq!(app.retainers().target(), Some(selected));

    // The Retainers pane lists what holds the instance, as `heapsight node` does.
    let expected: Vec<String> = s
        .visible_retainers(selected)
        .map(|(from, e)| {
            format!(
                "{} in {} @{}",
                s.edge_label(e),
                s.node_name(from),
                s.node_id(from)
            )
        })
        .collect();
    assert!(!expected.is_empty());
    let rows = app.retainers().visible_rows_text();
    for want in &expected {
        assert!(
            rows.iter().any(|r| r.trim_start() == want),
            "Retainers pane lacks {want:?}; it shows {rows:#?}"
        );
    }
    // The instance is held by the response cache: a Map's backing table, two levels up.
    assert!(
        rows.iter().any(|r| r.contains(" in Map @")),
        "the shortest path reaches the cache Map: {rows:#?}"
    );
    // And the rows are on screen, with DevTools' edge notation.
    let (from, edge) = s.visible_retainers(selected).next().expect("a retainer");
    h.get_by_label(&s.edge_label(edge));
    assert!(
        !h.query_all_by_label(&format!("@{}", s.node_id(from)))
            .collect::<Vec<_>>()
            .is_empty()
    );

    // The load time in the status bar differs from run to run.
    #[cfg(feature = "snapshot")]
    {
        let timing = h.get_by_label_contains("loaded in").rect();
        h.mask(timing);
        h.snapshot("summary_leak_with_retainers");
    }
}

#[test]
fn corrupt_drop_reports_error_and_keeps_open_snapshot() {
    let mut h = harness();
    drop_file(&mut h, &cache_final());
    wait_idle(&mut h);
    assert_eq!(h.state().documents().all().len(), 1);

    let dir = std::env::temp_dir().join(format!("heapsight-ui-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let corrupt = dir.join("corrupt.heapsnapshot");
    std::fs::write(&corrupt, b"{\"snapshot\": {\"meta\": garbage \x00\x01\x02").expect("write");
    drop_file(&mut h, &corrupt);
    wait_idle(&mut h);

    let app = h.state();
    assert_eq!(app.errors().len(), 1, "{:?}", app.errors());
    let error = &app.errors()[0];
    assert!(error.title.contains("corrupt.heapsnapshot"), "{error:?}");
    assert!(error.message.contains("corrupt.heapsnapshot"), "{error:?}");
    // The open snapshot stays, and is still what the panes show.
    assert_eq!(app.documents().all().len(), 1);
    assert_eq!(
        app.documents()
            .active()
            .expect("active")
            .source
            .display_name(),
        "final.heapsnapshot.gz"
    );
    // On screen: the error banner naming the file, and the Summary still there.
    h.get_by_label("Could not open corrupt.heapsnapshot");
    assert!(
        h.query_all_by_label_contains("corrupt.heapsnapshot")
            .count()
            >= 2
    );
    h.get_by_label("Constructor");
    h.get_by_label("(system)");

    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn keyboard_navigation_and_copy() {
    let mut h = harness();
    let id = open_leak_and_select_instance(&mut h);
    // The cursor is on the clicked instance; Ctrl+C copies `Class @id`.
    h.event(egui::Event::Copy);
    h.step();
    let copied: Vec<String> = h
        .output()
        .platform_output
        .commands
        .iter()
        .filter_map(|c| match c {
            egui::OutputCommand::CopyText(t) => Some(t.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(copied, vec![format!("CachedApiResponse @{id}")]);

    // Down moves to the next instance; Enter selects it.
    h.key_press(egui::Key::ArrowDown);
    h.step();
    h.key_press(egui::Key::Enter);
    wait_idle(&mut h);
    let app = h.state();
    let s = Arc::clone(&app.documents().active().expect("open").snapshot);
    let selected = app.selection().node().expect("selected");
    assert_ne!(s.node_id(selected), id);
    assert_eq!(s.class_name(selected), "CachedApiResponse");

    // Right expands the instance (its outgoing edges), Left collapses it again.
    let rows_before = h.state_mut().summary_mut().row_count();
    h.key_press(egui::Key::ArrowRight);
    wait_idle(&mut h);
    let rows_open = h.state_mut().summary_mut().row_count();
    assert!(rows_open > rows_before, "{rows_open} > {rows_before}");
    h.key_press(egui::Key::ArrowLeft);
    wait_idle(&mut h);
    assert_eq!(h.state_mut().summary_mut().row_count(), rows_before);
}

#[test]
fn selecting_a_retainer_reveals_it_in_summary() {
    let mut h = harness();
    open_leak_and_select_instance(&mut h);
    let s = Arc::clone(&h.state().documents().active().expect("open").snapshot);
    let target = h.state().selection().node().expect("selected");
    let (from, _) = s.visible_retainers(target).next().expect("retainer");

    // Click the first retainer row in the Retainers pane.
    let label = format!("@{}", s.node_id(from));
    let nodes: Vec<_> = h.query_all_by_label(&label).collect();
    let bottom = nodes
        .iter()
        .max_by(|a, b| a.rect().center().y.total_cmp(&b.rect().center().y))
        .expect("the retainer is on screen");
    bottom.click();
    wait_idle(&mut h);

    let app = h.state();
    assert_eq!(app.selection().node(), Some(from));
    // Retainers keeps showing the original target (the click came from it)...
    assert_eq!(app.retainers().target(), Some(target));
    // ...and Summary revealed the retainer: its class is expanded, the cursor on it.
    let cursor = h
        .state_mut()
        .summary_mut()
        .tree_mut()
        .expect("tree")
        .cursor_item();
    if s.node_class(from).is_some() {
        assert_eq!(cursor, Some(SummaryItem::Instance(from)));
    }
}

#[test]
fn summary_sorts_by_every_column() {
    let mut h = harness();
    drop_file(&mut h, &cache_final());
    wait_idle(&mut h);
    let s = Arc::clone(&h.state().documents().active().expect("open").snapshot);
    let top = |h: &mut Harness<'static, HeapsightApp>| -> Vec<u32> {
        h.state_mut()
            .summary_mut()
            .tree_mut()
            .expect("tree")
            .top_level()
            .iter()
            .map(|i| match i {
                SummaryItem::Class(c) => *c,
                other => panic!("top level holds classes, not {other:?}"),
            })
            .collect()
    };
    // Default: retained size, biggest first (the core's order).
    assert_eq!(
        top(&mut h),
        (0..s.classes().len() as u32).collect::<Vec<_>>()
    );

    h.get_by_label("Count").click();
    wait_idle(&mut h);
    let counts: Vec<u32> = top(&mut h)
        .iter()
        .map(|&c| s.classes()[c as usize].count)
        .collect();
    assert!(counts.windows(2).all(|w| w[0] >= w[1]), "count descending");

    h.get_by_label("Count \u{25BC}").click();
    wait_idle(&mut h);
    let counts: Vec<u32> = top(&mut h)
        .iter()
        .map(|&c| s.classes()[c as usize].count)
        .collect();
    assert!(counts.windows(2).all(|w| w[0] <= w[1]), "count ascending");

    h.get_by_label("Shallow Size").click();
    wait_idle(&mut h);
    let sizes: Vec<u64> = top(&mut h)
        .iter()
        .map(|&c| s.classes()[c as usize].shallow_size_bytes)
        .collect();
    assert!(sizes.windows(2).all(|w| w[0] >= w[1]), "shallow descending");

    h.get_by_label("Distance").click();
    wait_idle(&mut h);
    let d: Vec<i64> = top(&mut h)
        .iter()
        .map(|&c| heapsight::app::panes::distance_key(s.classes()[c as usize].distance))
        .collect();
    assert!(d.windows(2).all(|w| w[0] <= w[1]), "distance ascending");

    h.get_by_label("Constructor").click();
    wait_idle(&mut h);
    let names: Vec<&str> = top(&mut h)
        .iter()
        .map(|&c| s.classes()[c as usize].name.as_str())
        .collect();
    assert!(names.windows(2).all(|w| w[0] <= w[1]), "names ascending");
    assert_eq!(
        h.state().state().summary_sort.column,
        heapsight::app::widgets::SortColumn::Name
    );
}

#[test]
fn cancel_stops_a_running_load() {
    // A FIFO fed slowly by this test stands for a huge file: the load cannot finish before
    // Cancel is clicked, whatever the machine's speed.
    let dir = std::env::temp_dir().join(format!("heapsight-ui-cancel-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let fifo = dir.join("slow.heapsnapshot");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(status.success(), "mkfifo failed");
    let mut bytes = Vec::new();
    heapsight::synth::write_synthetic(
        &heapsight::synth::SynthOptions {
            target_bytes: 5_000_000,
            seed: 1,
        },
        &mut bytes,
    )
    .expect("synthetic snapshot");
    let writer_path = fifo.clone();
    let writer = std::thread::Builder::new()
        .name("slow-fifo-writer".to_owned())
        .spawn(move || {
            use std::io::Write as _;
            let mut out = std::fs::OpenOptions::new()
                .write(true)
                .open(&writer_path)
                .expect("open fifo");
            for chunk in bytes.chunks(16 * 1024) {
                if out.write_all(chunk).is_err() {
                    break; // the reader stopped (cancelled)
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        })
        .expect("spawn writer");

    let mut h = harness();
    drop_file(&mut h, &fifo);
    h.step();
    // The window keeps drawing frames quickly while the worker parses.
    let started = Instant::now();
    h.step();
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "a frame during loading is fast"
    );
    h.get_by_label("Loading slow.heapsnapshot");
    h.get_by_label("Cancel").click();
    wait_idle(&mut h);
    let app = h.state();
    assert!(app.documents().is_empty(), "cancelled load opens nothing");
    assert!(
        app.errors().is_empty(),
        "cancelling is not an error: {:?}",
        app.errors()
    );
    writer.join().expect("writer ends");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn select_command_and_bundled_demo() {
    // `heapsight --select @ID` with no file: the demo opens and the node is selected.
    let snap = snapshot::load_bytes(heapsight::app::document::DEMO_FINAL, &Progress::new())
        .expect("demo loads");
    let node = biggest_instance(&snap, "RouteStatsEntry");
    let id = snap.node_id(node);
    let app = HeapsightApp::with_options(StartOptions {
        demo: true,
        select: Some(format!("@{id}")),
        ..StartOptions::default()
    });
    let mut h = Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_ui_state(|ui, app: &mut HeapsightApp| app.show(ui), app);
    wait_idle(&mut h);
    let app = h.state();
    assert_eq!(
        app.documents()
            .active()
            .expect("demo open")
            .source
            .display_name(),
        "demo-final.heapsnapshot.gz"
    );
    assert_eq!(app.selection().node(), Some(node));
    assert_eq!(app.retainers().target(), Some(node));
    assert!(
        h.query_all_by_label("RouteStatsEntry").count() >= 2,
        "class row and instance"
    );

    // Unknown ids are reported, not a crash.
    h.state_mut().push_command(Command::SelectId(u32::MAX - 1));
    wait_idle(&mut h);
    assert!(
        h.state()
            .errors()
            .iter()
            .any(|e| e.title.contains("No object"))
    );
}

/// Frame times while scrolling a class with over a million instances (issue 4: under 16 ms).
///
/// Needs a big snapshot made by the oracle's `make-big.js` (1.66 M `LineItem`s in the 1 GB
/// one): `HEAPSIGHT_BIG=/path/big.heapsnapshot cargo test --features snapshot -- --ignored
/// --nocapture frame_time`. Measures `Harness::step` (the whole egui pass: input, layout of
/// the visible rows, hit testing) for wheel scrolling, paging and jumps to the ends.
#[test]
#[ignore = "needs a ~1 GB snapshot; run with --ignored --nocapture"]
fn frame_time_with_a_million_instances() {
    let path = std::env::var_os("HEAPSIGHT_BIG").map_or_else(
        || PathBuf::from("/work/bench-data/big-1g.heapsnapshot"),
        PathBuf::from,
    );
    let class = std::env::var("HEAPSIGHT_BIG_CLASS").unwrap_or_else(|_| "LineItem".to_owned());
    if !path.exists() {
        eprintln!("skipping: {} does not exist", path.display());
        return;
    }
    let mut h = harness();
    let started = Instant::now();
    drop_file(&mut h, &path);
    let mut load_frames = Vec::new();
    while h.state().is_busy() {
        let t = Instant::now();
        h.step();
        load_frames.push(t.elapsed().as_secs_f64() * 1e3);
        std::thread::sleep(Duration::from_millis(50));
        assert!(
            started.elapsed() < Duration::from_secs(900),
            "load timed out"
        );
    }
    wait_idle(&mut h);
    eprintln!(
        "loaded {} in {:.1} s; {} frames during the load, slowest {:.2} ms",
        path.display(),
        started.elapsed().as_secs_f64(),
        load_frames.len(),
        load_frames.iter().copied().fold(0.0, f64::max)
    );
    h.get_by_label("Class filter").click();
    h.step();
    h.get_by_label("Class filter").type_text(&class);
    wait_idle(&mut h);
    h.get_by_label(&class).click();
    h.step();
    let t = Instant::now();
    h.key_press(egui::Key::ArrowRight);
    wait_idle(&mut h);
    let rows = h.state_mut().summary_mut().row_count();
    eprintln!(
        "expanded {class}: {rows} rows, sorted on a worker in {:.2} s",
        t.elapsed().as_secs_f64()
    );
    assert!(rows > 1_000_000, "{rows} rows");
    let snapshot = Arc::clone(&h.state().documents().active().expect("open").snapshot);
    let tree = h.state_mut().summary_mut().tree_mut().expect("tree");
    let ids: Vec<String> = [1, rows / 2, rows - 1]
        .iter()
        .filter_map(|&r| match tree.row(r).and_then(|r| r.item) {
            Some(SummaryItem::Instance(n)) => Some(format!("@{}", snapshot.node_id(n))),
            _ => None,
        })
        .collect();
    eprintln!("{class} instances (first, middle, last row): {ids:?}");

    // (what, whole egui pass in ms, HeapsightApp::show in ms)
    let mut times: Vec<(&'static str, f64, f64)> = Vec::new();
    let table = egui::pos2(500.0, 300.0);
    let mut frame =
        |h: &mut Harness<'static, HeapsightApp>, what: &'static str, events: Vec<egui::Event>| {
            for e in events {
                h.input_mut().events.push(e);
            }
            let t = Instant::now();
            h.step();
            let pass_ms = t.elapsed().as_secs_f64() * 1e3;
            let show_ms = h
                .state()
                .frame_stats()
                .recent_secs
                .last()
                .copied()
                .unwrap_or(0.0)
                * 1e3;
            times.push((what, pass_ms, show_ms));
        };
    let wheel = |dy: f32| egui::Event::MouseWheel {
        unit: egui::MouseWheelUnit::Point,
        delta: egui::vec2(0.0, dy),
        phase: egui::TouchPhase::Move,
        source: egui::MouseWheelSource::Unknown,
        modifiers: egui::Modifiers::NONE,
    };
    let key = |k: egui::Key| egui::Event::Key {
        key: k,
        physical_key: None,
        pressed: true,
        repeat: false,
        modifiers: egui::Modifiers::NONE,
    };
    frame(&mut h, "pointer", vec![egui::Event::PointerMoved(table)]);
    for _ in 0..200 {
        frame(&mut h, "wheel down", vec![wheel(-300.0)]);
    }
    for _ in 0..50 {
        frame(&mut h, "PageDown", vec![key(egui::Key::PageDown)]);
    }
    frame(&mut h, "End", vec![key(egui::Key::End)]);
    frame(&mut h, "after End", vec![]);
    // Rows 1.6 M deep sit ~30 M points down: check they still line up (f32 offsets).
    #[cfg(feature = "snapshot")]
    if let Ok(image) = h.render() {
        let out = std::env::temp_dir().join("heapsight-million-end.png");
        image.save(&out).ok();
        eprintln!("rendered the end of the list to {}", out.display());
    }
    for _ in 0..100 {
        frame(&mut h, "wheel up", vec![wheel(400.0)]);
    }
    for _ in 0..50 {
        frame(&mut h, "ArrowUp", vec![key(egui::Key::ArrowUp)]);
    }
    frame(&mut h, "Home", vec![key(egui::Key::Home)]);
    frame(&mut h, "after Home", vec![]);
    for _ in 0..50 {
        frame(&mut h, "fast wheel", vec![wheel(-5000.0)]);
    }
    let stats = |f: fn(&(&'static str, f64, f64)) -> f64| {
        let mut v: Vec<f64> = times.iter().map(f).collect();
        v.sort_by(f64::total_cmp);
        let pct = |p: f64| v[((v.len() - 1) as f64 * p) as usize];
        (pct(0.5), pct(0.95), pct(1.0))
    };
    let (pass_med, pass_p95, pass_max) = stats(|t| t.1);
    let (show_med, show_p95, show_max) = stats(|t| t.2);
    eprintln!(
        "{} frames scrolling {rows} rows: egui pass median {pass_med:.2} ms, p95 {pass_p95:.2} ms, \
         max {pass_max:.2} ms; HeapsightApp::show median {show_med:.2} ms, p95 {show_p95:.2} ms, \
         max {show_max:.2} ms",
        times.len()
    );
    let mut slowest = times.clone();
    slowest.sort_by(|a, b| b.1.total_cmp(&a.1));
    eprintln!("slowest frames: {:?}", &slowest[..5]);
    let pct = |p: f64| if p >= 0.95 { pass_p95 } else { pass_med };
    assert!(pct(0.95) < 16.0, "p95 frame time {:.2} ms", pct(0.95));
}

#[test]
fn weak_references_are_marked() {
    let mut h = harness();
    drop_file(&mut h, &cache_final());
    wait_idle(&mut h);
    let s = Arc::clone(&h.state().documents().active().expect("open").snapshot);
    // An object in a Summary row with a weak reference among its few outgoing edges.
    let node = (0..s.node_count() as u32)
        .map(NodeIdx)
        .find(|&n| {
            s.node_class(n).is_some()
                && s.edge_count_of(n) <= 12
                && s.edges(n).any(|e| s.is_weak_edge(e))
        })
        .expect("the fixture has an object with a weak edge");
    h.state_mut().push_command(Command::Select {
        node,
        origin: heapsight::app::command::PaneId::External,
    });
    wait_idle(&mut h);
    // Summary revealed it (cursor on the instance); Right shows its edges.
    h.key_press(egui::Key::ArrowRight);
    wait_idle(&mut h);
    let weak_edges = s.edges(node).filter(|&e| s.is_weak_edge(e)).count();
    assert!(
        h.query_all_by_label("weak").count() >= weak_edges,
        "each weak edge of @{} is marked",
        s.node_id(node)
    );
    for e in s.edges(node).filter(|&e| s.is_weak_edge(e)) {
        assert!(h.query_all_by_label(&s.edge_label(e)).count() >= 1);
    }
}

#[test]
fn files_dragged_over_the_window_show_the_drop_overlay() {
    let mut h = harness();
    h.step();
    h.input_mut().hovered_files.push(egui::HoveredFile {
        path: Some(PathBuf::from("/tmp/app-after-leak.heapsnapshot")),
        mime: String::new(),
    });
    h.step();
    let texts: Vec<String> = h
        .output()
        .shapes
        .iter()
        .filter_map(|s| match &s.shape {
            egui::Shape::Text(t) => Some(t.galley.text().to_owned()),
            _ => None,
        })
        .collect();
    assert!(
        texts
            .iter()
            .any(|t| t == "Drop to open app-after-leak.heapsnapshot"),
        "{texts:?}"
    );
    #[cfg(feature = "snapshot")]
    h.snapshot("drop_overlay");
}
