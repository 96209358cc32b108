//! The Findings view: the leak doctor's report on the snapshots in the comparison slots.
//!
//! The slots' snapshots (baseline, target, final; or the snapshot shown when no slot is in
//! use) are diagnosed on a worker whenever they change ([`crate::snapshot::doctor`]). Each
//! finding is a card: severity, kind and title; the explanation; the path that keeps the
//! holder alive; growth per snapshot; the classes it holds (each opens its objects); the fix.
//! Clicking a card selects its holder in the last snapshot, so the Retainers pane and the
//! retainer graph drawn beside the cards show what keeps it alive. When the diagnosis of two or
//! three snapshots of one process arrives, the app shows this view first.

use std::sync::Arc;

use egui::{Color32, RichText, Ui};

use crate::format;
use crate::snapshot::doctor::{self, Diagnosis, Finding, Method, Severity};
use crate::snapshot::{NodeIdx, Snapshot};

use super::super::command::{Command, CommandQueue, PaneId};
use super::super::document::{DocId, Documents};
use super::super::jobs::{Poll, Promise};
use super::super::role::Role;
use super::super::roles::{self, Roles};
use super::super::theme::{CompareTheme, Theme};

/// Rows of a held class's object list shown without scrolling.
const MEMBER_ROWS: usize = 8;

/// A finished diagnosis and the open snapshots it is about.
pub struct Report {
    /// The doctor's report.
    pub diagnosis: Diagnosis,
    /// The snapshots in the order analysed (`diagnosis.snapshots`' order).
    pub docs: Vec<DocId>,
    /// Their slot, when they are in one.
    pub roles: Vec<Option<Role>>,
    /// The last snapshot analysed (node indexes of the findings refer to it).
    pub last: Option<(DocId, Arc<Snapshot>)>,
}

impl Report {
    /// The report as Markdown (File → Export findings).
    pub fn markdown(&self) -> String {
        doctor::findings_markdown(&self.diagnosis)
    }

    /// The report as JSON, as `heapsight doctor --json` prints it.
    pub fn json(&self) -> String {
        crate::snapshot::report::to_json_string(&self.diagnosis)
    }
}

/// The Findings pane.
#[derive(Default)]
pub struct FindingsPane {
    /// The snapshots of the running or finished diagnosis (slot order).
    inputs: Vec<DocId>,
    job: Option<Promise<Report>>,
    report: Option<Arc<Report>>,
    /// The card last clicked.
    selected: Option<usize>,
    /// The held class whose objects are listed: (finding, class).
    open_class: Option<(usize, usize)>,
    /// Set when a diagnosis of related snapshots arrived that the app has not shown yet.
    wants_attention: bool,
    /// The input sets whose diagnosis asked for attention (each asks once: re-arranging the
    /// slots back to a set seen before does not pull the user away from their view).
    attended: Vec<Vec<DocId>>,
}

/// The snapshots to diagnose: those in the slots, in slot order; with no slot in use, the
/// snapshot shown.
pub fn inputs(docs: &Documents, roles: &Roles) -> Vec<(DocId, Option<Role>, Arc<Snapshot>)> {
    let mut list: Vec<_> = Role::ALL
        .into_iter()
        .filter_map(|r| {
            let id = roles.doc(r)?;
            let doc = roles::find(docs, id)?;
            Some((id, Some(r), Arc::clone(&doc.snapshot)))
        })
        .collect();
    if list.is_empty()
        && let Some(doc) = docs.active()
    {
        list.push((doc.id, None, Arc::clone(&doc.snapshot)));
    }
    list
}

impl FindingsPane {
    /// True while the diagnosis runs.
    pub fn is_busy(&self) -> bool {
        self.job.is_some()
    }

    /// The finished report, if any.
    pub fn report(&self) -> Option<&Arc<Report>> {
        self.report.as_ref()
    }

    /// The finding whose card was clicked last.
    pub fn selected(&self) -> Option<usize> {
        self.selected
    }

    /// True once after a diagnosis of two or more snapshots of one process arrived (the app
    /// then shows this view).
    pub fn take_attention(&mut self) -> bool {
        std::mem::take(&mut self.wants_attention)
    }

    /// Once per frame: starts a diagnosis when the slots changed (and no load is on its way
    /// to a slot), collects a finished one.
    pub fn sync(&mut self, ctx: &egui::Context, docs: &Documents, roles: &Roles) {
        let pending = Role::ALL.into_iter().any(|r| roles.is_pending(r));
        let wanted = inputs(docs, roles);
        let ids: Vec<DocId> = wanted.iter().map(|w| w.0).collect();
        if !pending && ids != self.inputs {
            self.inputs = ids;
            self.report = None;
            self.selected = None;
            self.open_class = None;
            self.job = (!wanted.is_empty()).then(|| {
                Promise::spawn("leak doctor", ctx, move || {
                    let snaps: Vec<&Snapshot> = wanted.iter().map(|w| w.2.as_ref()).collect();
                    let diagnosis = doctor::diagnose(&snaps);
                    let docs: Vec<DocId> = diagnosis.order.iter().map(|&i| wanted[i].0).collect();
                    let roles = diagnosis.order.iter().map(|&i| wanted[i].1).collect();
                    let last = diagnosis
                        .order
                        .last()
                        .map(|&i| (wanted[i].0, Arc::clone(&wanted[i].2)));
                    Report {
                        diagnosis,
                        docs,
                        roles,
                        last,
                    }
                })
            });
        }
        if let Some(job) = self.job.as_mut() {
            match job.try_take() {
                Poll::Pending => {}
                Poll::Ready(report) => {
                    let mut set = self.inputs.clone();
                    set.sort();
                    if report.diagnosis.method != Method::Single && !self.attended.contains(&set) {
                        self.wants_attention = true;
                        self.attended.push(set);
                    }
                    self.report = Some(Arc::new(report));
                    self.job = None;
                }
                Poll::Lost => self.job = None,
            }
        }
    }

    /// Selects finding `i`'s holder in the last snapshot (every pane, and the graph).
    pub fn select_finding(&mut self, i: usize, commands: &mut CommandQueue) {
        let Some(report) = self.report.as_ref() else {
            return;
        };
        let (Some(f), Some((doc, _))) = (report.diagnosis.findings.get(i), report.last.as_ref())
        else {
            return;
        };
        self.selected = Some(i);
        select_in(commands, *doc, f.holder.node);
    }

    /// Lists (or hides) the objects of held class `class` of finding `i`.
    pub fn toggle_class(&mut self, i: usize, class: usize) {
        self.open_class = if self.open_class == Some((i, class)) {
            None
        } else {
            Some((i, class))
        };
    }

    /// The held class whose objects are listed.
    pub fn open_class(&self) -> Option<(usize, usize)> {
        self.open_class
    }

    /// Draws the notes and the cards.
    pub fn ui(&mut self, ui: &mut Ui, docs: &Documents, commands: &mut CommandQueue) {
        let theme = Theme::of(ui);
        let Some(report) = self.report.clone() else {
            ui.add_space(12.0);
            ui.horizontal(|ui| {
                if self.job.is_some() {
                    crate::app::widgets::spinner(ui);
                    ui.label("Diagnosing\u{2026}");
                } else {
                    ui.label(
                        RichText::new("Open one to three snapshots of one process to diagnose.")
                            .color(theme.weak_text),
                    );
                }
            });
            return;
        };
        let d = &report.diagnosis;
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new("Leak doctor").strong());
            let names: Vec<String> = report
                .docs
                .iter()
                .zip(&report.roles)
                .map(|(id, role)| {
                    let name = roles::find(docs, *id)
                        .map_or_else(String::new, |d| d.source.display_name());
                    match role {
                        Some(r) => format!("{} {name}", r.label()),
                        None => name,
                    }
                })
                .collect();
            ui.label(
                RichText::new(format!(
                    "\u{2014} {} ({})",
                    names.join(", "),
                    method_label(d.method)
                ))
                .color(theme.weak_text),
            );
            if self.job.is_some() {
                crate::app::widgets::spinner(ui);
            }
        });
        for note in &d.notes {
            ui.label(RichText::new(note).color(theme.weak_text).italics());
        }
        ui.add_space(4.0);
        if d.findings.is_empty() {
            ui.add_space(8.0);
            ui.label(
                "No findings: nothing grew between the snapshots and no leak pattern was seen.",
            );
            return;
        }
        let counts = |s: Severity| d.findings.iter().filter(|f| f.severity == s).count();
        ui.label(format!(
            "{} leak{}, {} suspect, {} info",
            counts(Severity::Leak),
            if counts(Severity::Leak) == 1 { "" } else { "s" },
            counts(Severity::Suspect),
            counts(Severity::Info)
        ));
        ui.add_space(4.0);
        egui::ScrollArea::vertical()
            .id_salt("findings_cards")
            .auto_shrink([false, false])
            .show(ui, |ui| {
                for (i, f) in d.findings.iter().enumerate() {
                    self.card_ui(ui, &report, i, f, commands);
                    ui.add_space(6.0);
                }
            });
    }

    fn card_ui(
        &mut self,
        ui: &mut Ui,
        report: &Report,
        i: usize,
        f: &Finding,
        commands: &mut CommandQueue,
    ) {
        let theme = Theme::of(ui);
        let selected = self.selected == Some(i);
        let stroke = if selected {
            egui::Stroke::new(2.0, theme.cursor_stroke)
        } else {
            ui.visuals().widgets.noninteractive.bg_stroke
        };
        // The card senses clicks on its background (registered before its widgets, which stay
        // on top of it).
        let card = ui.scope_builder(egui::UiBuilder::new().sense(egui::Sense::click()), |ui| {
        egui::Frame::group(ui.style())
            .stroke(stroke)
            .inner_margin(egui::Margin::same(8))
            .show(ui, |ui| {
                ui.set_width(ui.available_width());
                let header = ui
                    .horizontal(|ui| {
                        ui.label(severity_badge(f.severity, &theme, ui));
                        ui.label(RichText::new(f.kind.as_str()).color(theme.weak_text));
                        let title = ui.add(
                            egui::Label::new(prose(ui, &f.title, true))
                                .sense(egui::Sense::click())
                                .truncate(),
                        );
                        title.on_hover_text("Select the holder: the Retainers pane and the graph show what keeps it alive")
                    })
                    .inner;
                if header.clicked() {
                    self.select_finding(i, commands);
                }
                ui.label(prose(ui, &f.explanation, false));
                self.path_ui(ui, report, f, commands);
                growth_ui(ui, report, f);
                self.held_ui(ui, report, i, f, commands);
                ui.horizontal_wrapped(|ui| {
                    ui.label(RichText::new("Fix:").strong().color(theme.filter_active));
                    ui.label(prose(ui, &f.fix, false));
                });
                ui.horizontal(|ui| {
                    if ui
                        .button("Show holder")
                        .on_hover_text("Select the holder in every pane and draw its retainers")
                        .clicked()
                    {
                        self.select_finding(i, commands);
                    }
                    if ui
                        .button("Copy as Markdown")
                        .on_hover_text("This finding, for a ticket")
                        .clicked()
                    {
                        commands.push(Command::CopyText(doctor::finding_markdown(
                            &report.diagnosis,
                            i,
                            f,
                        )));
                    }
                    if ui
                        .button("Copy holder id")
                        .on_hover_text(format!("@{}", f.holder.id))
                        .clicked()
                    {
                        commands.push(Command::CopyText(format!("@{}", f.holder.id)));
                    }
                });
            });
        });
        if card.response.clicked() {
            self.select_finding(i, commands);
        }
    }

    /// `Held by: global → .x → ->cache Map @12`, each object clickable.
    fn path_ui(&mut self, ui: &mut Ui, report: &Report, f: &Finding, commands: &mut CommandQueue) {
        let theme = Theme::of(ui);
        let Some((doc, _)) = report.last.as_ref() else {
            return;
        };
        ui.horizontal_wrapped(|ui| {
            ui.spacing_mut().item_spacing.x = 4.0;
            ui.label(RichText::new("Held by").color(theme.weak_text));
            for (k, step) in f.path.iter().enumerate() {
                if k > 0 {
                    ui.label(RichText::new("\u{2192}").color(theme.weak_text));
                }
                if !step.edge.is_empty() {
                    ui.label(RichText::new(&step.edge).color(theme.edge_name));
                }
                let is_holder = k + 1 == f.path.len();
                let mut name = RichText::new(&step.name).color(theme.class_name);
                if is_holder {
                    name = name.strong();
                }
                let r = ui
                    .add(egui::Label::new(name).sense(egui::Sense::click()))
                    .on_hover_text(format!(
                        "{} @{} \u{2014} click to select",
                        step.class_name, step.id
                    ));
                ui.label(RichText::new(format!("@{}", step.id)).color(theme.weak_text));
                if r.clicked() {
                    select_in(commands, *doc, step.node);
                }
            }
        });
    }

    /// The held classes, each opening its objects.
    fn held_ui(
        &mut self,
        ui: &mut Ui,
        report: &Report,
        i: usize,
        f: &Finding,
        commands: &mut CommandQueue,
    ) {
        if f.held_classes.is_empty() {
            return;
        }
        let theme = Theme::of(ui);
        let Some((doc, snapshot)) = report.last.as_ref() else {
            return;
        };
        ui.label(RichText::new("Holds").color(theme.weak_text));
        let mut toggled = None;
        egui::Grid::new(("held_classes", i))
            .num_columns(3)
            .spacing([16.0, 2.0])
            .striped(true)
            .show(ui, |ui| {
                for (c, h) in f.held_classes.iter().enumerate().take(10) {
                    let open = self.open_class == Some((i, c));
                    let arrow = if open { "\u{25BC}" } else { "\u{25B6}" };
                    let r = ui
                        .add(
                            egui::Label::new(
                                RichText::new(format!("{arrow} {}", h.class_name))
                                    .color(theme.class_name),
                            )
                            .sense(egui::Sense::click()),
                        )
                        .on_hover_text("List these objects");
                    if r.clicked() {
                        toggled = Some(c);
                    }
                    ui.label(format!("\u{00D7}{}", format::count(u64::from(h.count))));
                    ui.label(format::bytes(h.retained_size));
                    ui.end_row();
                }
            });
        if let Some(c) = toggled {
            self.toggle_class(i, c);
        }
        let Some((_, c)) = self.open_class.filter(|(fi, _)| *fi == i) else {
            return;
        };
        let Some(h) = f.held_classes.get(c) else {
            return;
        };
        ui.label(
            RichText::new(format!(
                "{} objects of {} held through {}: click one to see its retainers",
                format::count(h.members.len() as u64),
                h.class_name,
                f.holder.name
            ))
            .color(theme.weak_text),
        );
        let row_height = ui.text_style_height(&egui::TextStyle::Body) + 2.0;
        egui::ScrollArea::vertical()
            .id_salt(("held_members", i, c))
            .max_height(row_height * MEMBER_ROWS as f32)
            .show_rows(ui, row_height, h.members.len(), |ui, rows| {
                for &n in &h.members[rows] {
                    member_row_ui(ui, snapshot, n, *doc, commands);
                }
            });
    }
}

/// One object of a held class: `Name @id  retained`, a click selects it.
fn member_row_ui(
    ui: &mut Ui,
    snapshot: &Snapshot,
    n: NodeIdx,
    doc: DocId,
    commands: &mut CommandQueue,
) {
    let theme = Theme::of(ui);
    ui.horizontal(|ui| {
        let name = snapshot.node_name(n);
        let label = if name.is_empty() || super::is_string_type(snapshot, n) {
            snapshot.class_name(n).to_owned()
        } else {
            super::super::widgets::shorten(&name).into_owned()
        };
        let name = ui.add(
            egui::Label::new(RichText::new(label).color(theme.class_name))
                .sense(egui::Sense::click()),
        );
        let id = ui.add(
            egui::Label::new(
                RichText::new(format!("@{}", snapshot.node_id(n))).color(theme.weak_text),
            )
            .sense(egui::Sense::click()),
        );
        ui.label(RichText::new(format::bytes(snapshot.retained_size(n))).color(theme.weak_text));
        let r = name
            .union(id)
            .on_hover_text("Select it: its retainers and graph");
        if r.clicked() {
            select_in(commands, doc, n);
        }
    });
}

/// Growth per snapshot: `Baseline 0 (184 B) → Target 200 (116 kB)`, in the roles' colours.
fn growth_ui(ui: &mut Ui, report: &Report, f: &Finding) {
    let theme = Theme::of(ui);
    let compare = CompareTheme::of(ui);
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new("Growth").color(theme.weak_text));
        for (k, g) in f.growth.iter().enumerate() {
            if k > 0 {
                ui.label(RichText::new("\u{2192}").color(theme.weak_text));
            }
            let role = report.roles.get(g.snapshot).copied().flatten();
            let name = role.map_or_else(
                || {
                    report
                        .diagnosis
                        .snapshots
                        .get(g.snapshot)
                        .map_or_else(String::new, |s| s.file.clone())
                },
                |r| r.label().to_owned(),
            );
            let color = role.map_or(theme.weak_text, |r| compare.role(r));
            ui.label(RichText::new(name).color(color));
            let text = if g.present {
                format!(
                    "{} {} ({})",
                    format::count(g.count),
                    f.unit,
                    format::bytes(g.retained_size)
                )
            } else {
                "absent".to_owned()
            };
            ui.label(RichText::new(text).strong());
        }
    });
}

/// The doctor's text with its `code` spans (variables, classes, events) in the class-name
/// colour, as one wrapping label.
fn prose(ui: &Ui, text: &str, strong: bool) -> egui::text::LayoutJob {
    let theme = Theme::of(ui);
    let font = egui::TextStyle::Body.resolve(ui.style());
    let plain = if strong {
        ui.visuals().strong_text_color()
    } else {
        ui.visuals().text_color()
    };
    let mut job = egui::text::LayoutJob::default();
    for (k, part) in text.split('`').enumerate() {
        let code = k % 2 == 1;
        let format = egui::TextFormat {
            font_id: font.clone(),
            color: if code { theme.class_name } else { plain },
            background: if code {
                ui.visuals().code_bg_color
            } else {
                Color32::TRANSPARENT
            },
            ..Default::default()
        };
        job.append(part, 0.0, format);
    }
    job
}

fn severity_badge(s: Severity, theme: &Theme, ui: &Ui) -> RichText {
    let (text, color) = match s {
        Severity::Leak => (" LEAK ", theme.error),
        Severity::Suspect => (" SUSPECT ", theme.weak_marker),
        Severity::Info => (" INFO ", theme.weak_text),
    };
    let fg = if ui.visuals().dark_mode {
        Color32::BLACK
    } else {
        Color32::WHITE
    };
    RichText::new(text)
        .strong()
        .color(fg)
        .background_color(color)
}

fn method_label(m: Method) -> &'static str {
    match m {
        Method::Single => "one snapshot: patterns only",
        Method::TwoSnapshots => "growth between two snapshots",
        Method::ThreeSnapshot => "three-snapshot method",
    }
}

/// Makes `doc` the snapshot shown and selects `node` in every pane.
fn select_in(commands: &mut CommandQueue, doc: DocId, node: NodeIdx) {
    commands.push(Command::SetActive(doc));
    commands.push(Command::Select {
        node,
        origin: PaneId::Findings,
    });
}

impl super::Pane for FindingsPane {
    fn title(&self) -> String {
        crate::app::command::View::Findings.label().to_owned()
    }

    fn ui(&mut self, ui: &mut Ui, cx: &mut super::TileContext<'_>) {
        FindingsPane::ui(self, ui, cx.docs, cx.commands);
    }

    fn is_busy(&self) -> bool {
        FindingsPane::is_busy(self)
    }
}
