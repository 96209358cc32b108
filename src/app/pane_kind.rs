//! What a tile of the workspace shows (a leaf module: commands name it, the workspace draws
//! it).

use super::view::View;

/// The title of the "Where it was created" tile.
pub const WHERE_CREATED: &str = "Where it was created";

/// What a tile shows: one of the views, or one of the two panes that follow the selection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Deserialize, serde::Serialize)]
pub enum PaneKind {
    /// A view (never [`View::Profile`]: a sampling heap profile takes the whole window).
    View(View),
    /// What retains the selected object.
    Retainers,
    /// Where the selected object was created.
    WhereCreated,
}

impl PaneKind {
    /// The views of the main tab group, in tab order.
    pub const MAIN: [Self; 10] = [
        Self::View(View::Findings),
        Self::View(View::Summary),
        Self::View(View::Comparison),
        Self::View(View::SideBySide),
        Self::View(View::Leaks),
        Self::View(View::Containment),
        Self::View(View::Dominators),
        Self::View(View::Statistics),
        Self::View(View::Strings),
        Self::View(View::Allocation),
    ];

    /// The tile that shows `view` (a sampling heap profile takes the whole window).
    pub fn of_view(view: View) -> Option<Self> {
        (view != View::Profile).then_some(Self::View(view))
    }

    /// The view this tile shows, for the perspective tabs.
    pub fn view(self) -> Option<View> {
        match self {
            Self::View(view) => Some(view),
            Self::Retainers | Self::WhereCreated => None,
        }
    }

    /// The tab title.
    pub fn title(self) -> &'static str {
        match self {
            Self::View(view) => view.label(),
            Self::Retainers => "Retainers",
            Self::WhereCreated => WHERE_CREATED,
        }
    }

    /// True when a tile of this kind can be bound to one snapshot.
    pub fn bindable(self) -> bool {
        matches!(
            self,
            Self::View(View::Summary | View::Containment | View::Dominators | View::Statistics)
                | Self::Retainers
        )
    }
}
