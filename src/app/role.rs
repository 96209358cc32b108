//! The roles of the comparisons: baseline, target and final (a leaf module: the command
//! queue, the theme and the role slots all name roles without importing each other).

/// A snapshot's part in a comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// The snapshot compared against (DevTools' "base").
    Baseline,
    /// The snapshot being examined.
    Target,
    /// The third snapshot of the three-snapshot leak method.
    Final,
}

impl Role {
    /// Every role, in slot order.
    pub const ALL: [Self; 3] = [Self::Baseline, Self::Target, Self::Final];

    /// The name shown in the header and the title.
    pub fn label(self) -> &'static str {
        match self {
            Self::Baseline => "Baseline",
            Self::Target => "Target",
            Self::Final => "Final",
        }
    }

    /// The slot index: 0, 1, 2.
    pub fn index(self) -> usize {
        match self {
            Self::Baseline => 0,
            Self::Target => 1,
            Self::Final => 2,
        }
    }
}
