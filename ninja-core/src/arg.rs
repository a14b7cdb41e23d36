//! A handler argument as the route macro describes it: what extraction, validation and the
//! document need to know of it.

/// What the macro knows about one handler argument: its name as the client spells it.
#[derive(Debug, Clone, Copy)]
pub struct Arg {
    name: &'static str,
    header: &'static str,
    description: Option<&'static str>,
}

impl Arg {
    /// Only the route macros build these.
    #[doc(hidden)]
    #[must_use]
    pub const fn new(
        name: &'static str,
        header: &'static str,
        description: Option<&'static str>,
    ) -> Self {
        Self {
            name,
            header,
            description,
        }
    }

    /// The description given with `#[param(description = "...")]`.
    #[must_use]
    pub const fn description(&self) -> Option<&'static str> {
        self.description
    }

    /// The parameter name (the argument's name, or its `alias`).
    #[must_use]
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The header name: lower case, `_` spelled `-` (`user_agent` → `user-agent`).
    #[must_use]
    pub const fn header_name(&self) -> &'static str {
        self.header
    }
}
