//! egui_kittest tests of File → Save Redacted Copy (issue 13): the copy of the snapshot shown
//! is written completely, loads with the same figures and keeps no marker text; a path that
//! cannot be written is an error banner and leaves no file; the open snapshot stays.

use egui_kittest::Harness;
use heapsight::app::command::Command;
use heapsight::app::{HeapsightApp, StartOptions};

use crate::util;

fn open(rel: &str) -> Harness<'static, HeapsightApp> {
    util::app_harness(StartOptions::for_files(vec![util::fixture(rel)]), 800.0)
}

#[test]
fn save_redacted_copy_writes_a_copy_with_the_same_figures() {
    let mut h = open("goldens/cache/final.heapsnapshot.gz");
    let dir = util::scratch_dir("ui-redact");
    let out = dir.join("shareable.heapsnapshot");
    h.state_mut()
        .push_command(Command::SaveRedactedTo(out.clone()));
    util::wait_app_idle(&mut h);
    assert!(h.state().errors().is_empty(), "{:?}", h.state().errors());
    let notice = h.state().notice().unwrap_or_default().to_owned();
    assert!(notice.contains("Saved a redacted copy"), "{notice}");
    assert!(out.exists());
    assert!(!heapsight::atomic_file::part_path(&out).exists());
    let original = std::sync::Arc::clone(&h.state().documents().active().expect("doc").snapshot);
    let copy = util::load_path(&out);
    assert_eq!(copy.node_count(), original.node_count());
    assert_eq!(copy.total_size(), original.total_size());
    // A string of the scenario's cached payloads is gone from the copy.
    let bytes = std::fs::read(&out).expect("read");
    let text = String::from_utf8_lossy(&bytes);
    assert!(!text.contains("cached payload"), "payload text survived");
    assert_eq!(
        h.state().documents().all().len(),
        1,
        "the open snapshot stays"
    );
}

#[test]
fn a_copy_that_cannot_be_written_is_an_error_and_leaves_nothing() {
    let mut h = open("goldens/cache/final.heapsnapshot.gz");
    let dir = util::scratch_dir("ui-redact-bad");
    let out = dir.join("no-such-folder").join("copy.heapsnapshot");
    h.state_mut()
        .push_command(Command::SaveRedactedTo(out.clone()));
    util::wait_app_idle(&mut h);
    let errors = h.state().errors();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].title.contains("copy.heapsnapshot"), "{errors:?}");
    assert!(!out.exists());
    assert!(!heapsight::atomic_file::part_path(&out).exists());
    assert_eq!(h.state().documents().all().len(), 1);
}
