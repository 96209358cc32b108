//! egui_kittest tests of the desktop integration (issue 16): files handed over by the desktop
//! entry (`Exec=heapsight %F`, i.e. plain paths on the command line) open in their
//! baseline/target/final roles, a file that cannot be opened shows its error in the window,
//! and Help → About names the version, the commit and the DevTools version.

use std::path::{Path, PathBuf};

use clap::Parser as _;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use heapsight::app::role::Role;
use heapsight::app::roles;
use heapsight::app::{HeapsightApp, StartOptions, desktop};
use heapsight::cli::Cli;
use heapsight::version;

fn fixture(scenario: &str, name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/goldens")
        .join(scenario)
        .join(format!("{name}.heapsnapshot.gz"))
}

/// The app as `heapsight ARGS…` starts it (what a file manager runs for the desktop entry).
fn harness_from_args(files: &[PathBuf]) -> Harness<'static, HeapsightApp> {
    let argv = std::iter::once(PathBuf::from("heapsight")).chain(files.iter().cloned());
    let cli = Cli::try_parse_from(argv).expect("the command line parses");
    let app = HeapsightApp::with_options(StartOptions::for_files(cli.files));
    Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .allow_missing_glyphs()
        .build_ui_state(|ui, app: &mut HeapsightApp| app.show(ui), app)
}

fn wait_idle(h: &mut Harness<'static, HeapsightApp>) {
    crate::util::wait_app_idle(h);
}

/// The file name of the snapshot in `role`'s slot.
fn name_in(h: &Harness<'static, HeapsightApp>, role: Role) -> Option<String> {
    let app = h.state();
    let doc = app.compare().roles.doc(role)?;
    roles::find(app.documents(), doc).map(|d| d.source.display_name())
}

#[test]
fn files_from_the_desktop_entry_open_in_their_roles() {
    let files: Vec<PathBuf> = ["baseline", "target", "final"]
        .iter()
        .map(|n| fixture("cache", n))
        .collect();
    let mut h = harness_from_args(&files);
    wait_idle(&mut h);
    assert!(h.state().errors().is_empty(), "{:?}", h.state().errors());
    assert_eq!(h.state().documents().all().len(), 3);
    for (role, name) in [
        (Role::Baseline, "baseline.heapsnapshot.gz"),
        (Role::Target, "target.heapsnapshot.gz"),
        (Role::Final, "final.heapsnapshot.gz"),
    ] {
        assert_eq!(name_in(&h, role).as_deref(), Some(name), "{role:?}");
    }

    // One file: it opens alone (no demo).
    let mut h = harness_from_args(&files[2..]);
    wait_idle(&mut h);
    assert_eq!(h.state().documents().all().len(), 1);
    assert_eq!(
        name_in(&h, Role::Baseline).as_deref(),
        Some("final.heapsnapshot.gz")
    );
}

#[test]
fn a_file_that_cannot_be_opened_shows_its_error_and_the_others_open() {
    let dir = std::env::temp_dir().join(format!("heapsight-desktop-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let missing = dir.join("missing.heapsnapshot");
    let files = [
        fixture("cache", "baseline"),
        missing,
        fixture("cache", "final"),
    ];
    let mut h = harness_from_args(&files);
    wait_idle(&mut h);

    let app = h.state();
    assert_eq!(app.errors().len(), 1, "{:?}", app.errors());
    assert!(
        app.errors()[0].message.contains("missing.heapsnapshot"),
        "{:?}",
        app.errors()
    );
    assert_eq!(app.documents().all().len(), 2);
    // The failed file keeps its place: the target slot stays empty, with the error.
    assert_eq!(
        name_in(&h, Role::Baseline).as_deref(),
        Some("baseline.heapsnapshot.gz")
    );
    assert_eq!(name_in(&h, Role::Target), None);
    assert!(h.state().compare().roles.failure(Role::Target).is_some());
    assert_eq!(
        name_in(&h, Role::Final).as_deref(),
        Some("final.heapsnapshot.gz")
    );
    // On screen: the banner naming the file.
    h.get_by_label("Could not open missing.heapsnapshot");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn help_about_shows_version_commit_and_devtools_version() {
    let mut h = harness_from_args(&[fixture("cache", "final")]);
    wait_idle(&mut h);
    assert!(h.query_by_label(desktop::ABOUT_TITLE).is_none());

    h.get_by_label("Help").click();
    h.run();
    h.get_by_label("About heapsight").click();
    h.run();
    assert!(desktop::about_is_open(&h.ctx));
    h.get_by_label(version::VERSION);
    h.get_by_label(version::COMMIT);
    h.get_by_label(&format!(
        "chrome-devtools-frontend {}",
        version::DEVTOOLS_FRONTEND
    ));
}
