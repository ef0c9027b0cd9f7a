//! Flow run or task run: the one `RunKind` the client's protocols (and the dev server) share.

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RunKind {
    Flow,
    Task,
}

impl RunKind {
    pub const fn label(self) -> &'static str {
        match self {
            RunKind::Flow => "flow run",
            RunKind::Task => "task run",
        }
    }
}
