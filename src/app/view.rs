//! The views (DevTools "perspectives"): a leaf module, named by commands, the tabs, the
//! palette and the workspace.

/// The views (DevTools "perspectives") the main area can show.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Deserialize, serde::Serialize,
)]
pub enum View {
    /// Objects grouped by constructor.
    #[default]
    Summary,
    /// The leak doctor: root causes with their holders, growth and fixes.
    Findings,
    /// New and deleted objects per constructor between baseline and target.
    Comparison,
    /// Both Summaries aligned by class, with deltas.
    SideBySide,
    /// Leak candidates (three snapshots) or objects allocated between two.
    Leaks,
    /// The heap from the root along outgoing edges.
    Containment,
    /// The dominator tree, biggest subtrees first.
    Dominators,
    /// Where the bytes go, by DevTools' statistics categories.
    Statistics,
    /// String objects whose text another repeats, grouped by text.
    Strings,
    /// A node-link drawing of the selected object's retaining paths.
    RetainerGraph,
    /// Where objects were allocated (snapshots written with allocation tracking).
    Allocation,
    /// A sampling heap profile (`.heapprofile`): flame chart and bottom-up table.
    Profile,
    /// A live process: its memory over time, snapshots and profiles taken from it.
    Live,
}

impl View {
    /// Every view, in menu order.
    pub const ALL: [Self; 13] = [
        Self::Findings,
        Self::Summary,
        Self::Comparison,
        Self::SideBySide,
        Self::Leaks,
        Self::Containment,
        Self::Dominators,
        Self::Statistics,
        Self::Strings,
        Self::RetainerGraph,
        Self::Allocation,
        Self::Profile,
        Self::Live,
    ];

    /// The name shown in the view selector.
    pub fn label(self) -> &'static str {
        match self {
            Self::Summary => "Summary",
            Self::Findings => "Findings",
            Self::Comparison => "Comparison",
            Self::SideBySide => "Side by side",
            Self::Leaks => "Leak candidates",
            Self::Containment => "Containment",
            Self::Dominators => "Dominators",
            Self::Statistics => "Statistics",
            Self::Strings => "Duplicated strings",
            Self::RetainerGraph => "Retainer graph",
            Self::Allocation => "Allocation",
            Self::Profile => "Allocation sampling",
            Self::Live => "Live",
        }
    }

    /// Parses a `--view` argument (case-insensitive; `side-by-side` and `leaks` too).
    pub fn parse(name: &str) -> Option<Self> {
        let name = name.trim();
        match name.to_ascii_lowercase().as_str() {
            "side-by-side" | "sidebyside" | "side_by_side" => return Some(Self::SideBySide),
            "leaks" | "leak-candidates" => return Some(Self::Leaks),
            "graph" | "retainer-graph" | "retainers-graph" => return Some(Self::RetainerGraph),
            "strings" | "duplicated-strings" => return Some(Self::Strings),
            "doctor" | "leak-doctor" => return Some(Self::Findings),
            "alloc" | "allocations" => return Some(Self::Allocation),
            "profile" | "sampling" | "heap-profile" => return Some(Self::Profile),
            "attach" | "capture" => return Some(Self::Live),
            _ => {}
        }
        Self::ALL
            .into_iter()
            .find(|v| v.label().eq_ignore_ascii_case(name))
    }
}
